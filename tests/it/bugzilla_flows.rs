//! Bugzilla flags by id, "requested of me", full-field and list updates, create with CC,
//! blocks and milestone, and the dependency tree, against the real 5.2 and 5.3.3 (see
//! bugzilla.rs). Each test files its own bugs and flag types; the seeded bugs stay as seeded.

use serde_json::{Value, json};

use crate::bugzilla::{Bz, Who, created_id, has, instances, lacks, unique};
use crate::common::Server;

const JSMITH: &str = "jsmith@example.test";
const JDOE: &str = "jdoe@example.test";

/// A bug flag type on Alpha, made over REST as admin (the tool set has no tool for that).
async fn flag_type(bz: &Bz, extra: Value) -> String {
    let name = unique("tmcp").replace(' ', "-");
    let mut body = json!({"api_key": bz.admin_key, "name": name, "description": "test flag",
        "target_type": "bug", "inclusions": ["Alpha"], "is_requestable": true,
        "is_requesteeble": true, "is_multiplicable": true});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let created = reqwest::Client::new()
        .post(format!("{}/rest/flag_type", bz.url))
        .json(&body)
        .send()
        .await
        .expect("flag type");
    assert!(created.status().is_success(), "flag type: {}", created.text().await.unwrap_or_default());
    name
}

async fn new_bug(s: &mut Server, extra: Value) -> u64 {
    let mut args = json!({"product": "Alpha", "component": "Backend", "summary": unique("Flow test"),
        "version": "1.0", "op_sys": "Linux", "platform": "PC"});
    if let (Some(args), Some(extra)) = (args.as_object_mut(), extra.as_object()) {
        args.extend(extra.clone());
    }
    created_id(&s.ok("bugzilla_create_bug", args).await)
}

/// The id of the flag shown as `needle` ("name?(login)") in a "Flags: ..." line.
fn flag_id(text: &str, needle: &str) -> u64 {
    let line =
        text.lines().find(|l| l.starts_with("Flags: ")).unwrap_or_else(|| panic!("no flags in {text}"));
    line.split(", ")
        .find(|f| f.trim_start_matches("Flags: ").starts_with(needle))
        .and_then(|f| f.split(" #").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no flag {needle} in {line}"))
}

#[tokio::test]
async fn bugzilla_flags_by_id_and_requested_of_me() {
    for bz in instances() {
        let v = bz.version;
        let mut admin = bz.server(Who::Admin, true, &[]).await;
        // 5.2 has no /rest/whoami: the limited user's login comes from BUGZILLA_LOGIN.
        let mut user = bz.server(Who::User, true, &[("BUGZILLA_LOGIN", JSMITH)]).await;
        let info = flag_type(&bz, json!({})).await;
        let guarded = flag_type(&bz, json!({"grant_group": "admin"})).await;
        let id = new_bug(&mut admin, json!({})).await;

        // Two requests of one type: the second needs `new`; the result names each flag's id.
        let text = admin
            .ok(
                "bugzilla_update_bug",
                json!({"bug": id, "flags": [{"name": info, "status": "?", "requestee": JSMITH},
                    {"name": info, "status": "?", "requestee": JDOE, "new": true}]}),
            )
            .await;
        has(
            &text,
            &[&format!("Updated bug {id}"), &format!("{info}?({JSMITH}) #"), "from admin@example.test"],
        );
        has(&text, &[&format!("{info}?({JDOE}) #"), "\nWeb: "]);
        let mine = flag_id(&text, &format!("{info}?({JSMITH})"));
        let theirs = flag_id(&text, &format!("{info}?({JDOE})"));
        assert_ne!(mine, theirs, "{v}: {text}");

        // A name that matches two flags is ambiguous: Bugzilla refuses, the id is the way.
        let err = admin
            .err("bugzilla_update_bug", json!({"bug": id, "flags": [{"name": info, "status": "+"}]}))
            .await;
        has(&err, &["`flags`", &info, "specify the id", "code 132", "each flag's id"]);
        let err = admin.err("bugzilla_update_bug", json!({"bug": id, "flags": [{"status": "+"}]})).await;
        has(&err, &["`flags`", "`id`"]);

        // Requested of me: jsmith sees his request (flag id, bug, setter), not jdoe's.
        let text = user.ok("bugzilla_requested_flags", json!({})).await;
        has(
            &text,
            &[
                &format!("Flags requested of {JSMITH}"),
                &format!("{info} #{mine} bug {id} [CONFIRMED] from admin@example.test: Flow test"),
            ],
        );
        lacks(&text, &[&format!("#{theirs} ")]);
        let text = user.ok("bugzilla_requested_flags", json!({"flag": info, "limit": 1})).await;
        has(&text, &[&format!("#{mine} bug {id}")]);
        let text = user.ok("bugzilla_requested_flags", json!({"flag": "no-such-flag-type"})).await;
        has(&text, &["None open."]);

        // jsmith answers his request by id; jdoe's stays open.
        let text =
            user.ok("bugzilla_update_bug", json!({"bug": id, "flags": [{"id": mine, "status": "+"}]})).await;
        has(&text, &[&format!("{info}+ #{mine}"), &format!("{info}?({JDOE}) #{theirs}")]);
        let text = user.ok("bugzilla_requested_flags", json!({"flag": info})).await;
        lacks(&text, &[&format!("#{mine} ")]);

        // Re-request of jsmith, then clear jdoe's: one flag left.
        let text = admin
            .ok(
                "bugzilla_update_bug",
                json!({"bug": id, "flags": [{"id": mine, "status": "?", "requestee": JSMITH}]}),
            )
            .await;
        has(&text, &[&format!("{info}?({JSMITH}) #{mine}")]);
        let text = admin
            .ok("bugzilla_update_bug", json!({"bug": id, "flags": [{"id": theirs, "status": "X"}]}))
            .await;
        lacks(&text, &[&format!("#{theirs}")]);
        let bug = admin.ok("bugzilla_get_bug", json!({"ids": [id]})).await;
        has(&bug, &[&format!("Flags: {info}?({JSMITH}) #{mine} from admin@example.test")]);

        // A flag only the admin group may grant: the limited user is refused, plainly.
        let err = user
            .err("bugzilla_update_bug", json!({"bug": id, "flags": [{"name": guarded, "status": "+"}]}))
            .await;
        has(
            &err,
            &[
                "this account may not set that flag (Bugzilla code 130)",
                &format!("You tried to grant {guarded}"),
            ],
        );
        lacks(&err, &[&bz.user_key]);
        let text = user
            .ok("bugzilla_update_bug", json!({"bug": id, "flags": [{"name": guarded, "status": "?"}]}))
            .await;
        has(&text, &[&format!("{guarded}? #")]);

        // Anonymous: nobody to ask.
        let mut anon = bz.server(Who::Anonymous, false, &[]).await;
        let err = anon.err("bugzilla_requested_flags", json!({})).await;
        has(&err, &["anonymously"]);
    }
}

#[tokio::test]
async fn bugzilla_full_field_and_list_updates() {
    for bz in instances() {
        let v = bz.version;
        let mut s = bz.server(Who::Admin, true, &[]).await;
        let other = new_bug(&mut s, json!({})).await;

        // CC, blocks and milestone on create.
        let id = new_bug(&mut s, json!({"cc": [JDOE], "blocks": [other], "target_milestone": "M1"})).await;
        let bug = s.ok("bugzilla_get_bug", json!({"ids": [id]})).await;
        has(&bug, &["| milestone M1", "CC: 1", &format!("Blocks: {other}")]);
        let text = s
            .ok(
                "bugzilla_create_bug",
                json!({"product": "Alpha", "component": "Backend", "summary": "x",
            "target_milestone": "M2", "cc": [JDOE], "blocks": [other], "dry_run": true}),
            )
            .await;
        has(&text, &["\"target_milestone\": \"M2\"", "\"blocks\": [", "\"cc\": ["]);

        // Every field at once; the answer lists each change.
        let alias = unique("al").replace(' ', "-");
        let see = "https://bugzilla.example.test/show_bug.cgi?id=1";
        let err =
            s.err("bugzilla_update_bug", json!({"bug": id, "see_also": ["https://example.test/b/1"]})).await;
        has(&err, &["`see_also`", "code 112"]);
        let text = s
            .ok(
                "bugzilla_update_bug",
                json!({"bug": id, "summary": "Renamed by the flow test", "version": "2.0", "target_milestone": "M2",
                    "qa_contact": JDOE, "url": "https://example.test/issue", "see_also": [see],
                    "alias": alias}),
            )
            .await;
        has(
            &text,
            &[
                "summary: ",
                "-> Renamed by the flow test",
                "version: 1.0 -> 2.0",
                "target_milestone: M1 -> M2",
                &format!("qa_contact: +{JDOE}"),
                "url: +https://example.test/issue",
                &format!("see_also: +{see}"),
                &format!("alias: +{alias}"),
            ],
        );
        let bug = s.ok("bugzilla_get_bug", json!({"ids": [alias]})).await;
        has(
            &bug,
            &[
                "Renamed by the flow test",
                "| version 2.0 | milestone M2",
                &format!("QA: {JDOE}"),
                &format!("See also: {see}"),
            ],
        );
        let text = s
            .ok(
                "bugzilla_update_bug",
                json!({"bug": id, "qa_contact": "", "see_also": [format!("-{see}")], "alias": ""}),
            )
            .await;
        has(
            &text,
            &[&format!("qa_contact: -{JDOE}"), &format!("see_also: -{see}"), &format!("alias: -{alias}")],
        );

        // Legal values come from the instance, before anything is sent.
        let err = s.err("bugzilla_update_bug", json!({"bug": id, "version": "9.9"})).await;
        has(&err, &["`version`", "no version '9.9' in product Alpha; versions: 1.0, 2.0, unspecified"]);
        let err = s.err("bugzilla_update_bug", json!({"bug": id, "target_milestone": "M9"})).await;
        has(&err, &["`target_milestone`", "no milestone 'M9' in product Alpha; milestones: ", "M1, M2"]);
        let err = s.err("bugzilla_update_bug", json!({"bug": id, "product": "Secret"})).await;
        has(&err, &["`component`"]);
        let err = s
            .err("bugzilla_update_bug", json!({"bug": id, "product": "Secret", "component": "Backend"}))
            .await;
        has(&err, &["no component 'Backend' in product Secret; components: General"]);
        let err = s.err("bugzilla_update_bug", json!({"bug": id, "fields": {"cf_no_such_field": "x"}})).await;
        has(&err, &["`fields`", "cf_no_such_field"]);
        let err = s.err("bugzilla_update_bug", json!({"bug": id, "fields": {"priority": "x"}})).await;
        has(&err, &["`fields`", "cf_"]);
        // The seeded custom select field cf_tier (gold, silver; bronze retired): a listed value is
        // applied, an unknown one refused with the legal values, unsent. 5.2 and 5.3.3 do not say
        // in /rest/field which values are retired (no `is_active`), and take a retired one.
        let text = s.ok("bugzilla_update_bug", json!({"bug": id, "fields": {"cf_tier": "gold"}})).await;
        has(&text, &["cf_tier: --- -> gold"]);
        let err = s.err("bugzilla_update_bug", json!({"bug": id, "fields": {"cf_tier": "platinum"}})).await;
        has(&err, &["`fields`", "cf_tier: 'platinum' is not a legal value", "---, gold, silver, bronze"]);
        let text = s.ok("bugzilla_update_bug", json!({"bug": id, "fields": {"cf_tier": "bronze"}})).await;
        has(&text, &["cf_tier: gold -> bronze"]);
        let err = s.err("bugzilla_update_bug", json!({"bug": id, "ids": [other], "priority": "Low"})).await;
        has(&err, &["not both"]);

        // Product and component together (version and milestone of the new product with them).
        let moved = new_bug(&mut s, json!({})).await;
        let text = s
            .ok(
                "bugzilla_update_bug",
                json!({"bug": moved, "product": "Secret", "component": "General", "version": "unspecified",
                    "target_milestone": "---"}),
            )
            .await;
        has(&text, &["product: Alpha -> Secret", "component: Backend -> General"]);

        // One update for a list: the dry run shows each bug, then one request changes both.
        let text = s
            .ok("bugzilla_update_bug", json!({"ids": [id, other], "priority": "Lowest", "dry_run": true}))
            .await;
        has(
            &text,
            &[
                &format!("PUT /rest/bug/{id}"),
                "\"ids\": [",
                "Each bug:",
                &format!("- bug {id} [CONFIRMED] Alpha/Backend: priority: "),
                &format!("- bug {other} [CONFIRMED] Alpha/Backend: priority: "),
                "-> Lowest",
            ],
        );
        let text = s
            .ok("bugzilla_update_bug", json!({"ids": [id, other], "priority": "Lowest", "comment": "bulk"}))
            .await;
        has(
            &text,
            &[
                &format!("Updated bug {id}: priority: "),
                &format!("Updated bug {other}: priority: "),
                "(comment added)",
            ],
        );
        assert_eq!(text.matches("\nWeb: ").count(), 2, "{v}: {text}");
        let err = s.err("bugzilla_update_bug", json!({"ids": [id, 999_999], "priority": "Low"})).await;
        has(&err, &["999999"]);
    }
}

#[tokio::test]
async fn bugzilla_dependency_tree() {
    for bz in instances() {
        let v = bz.version;
        let mut s = bz.server(Who::Admin, true, &[]).await;
        // Seeded: bug 5 (release-1.0) depends on 1 and 3; 1 and 3 block 5.
        let text = s.ok("bugzilla_dependency_tree", json!({"bug": "release-1.0"})).await;
        has(
            &text,
            &[
                "Bug 5 depends on (depth 3)",
                "\n5 [CONFIRMED]: Tracking: release 1.0 blockers",
                "\n  1 [IN_PROGRESS]: Login page returns 500",
                "\n  3 [RESOLVED FIXED]: Session cookie lacks the Secure flag",
                "\nWeb: ",
                "show_bug.cgi?id=<id>",
            ],
        );
        let text = s.ok("bugzilla_dependency_tree", json!({"bug": 1, "direction": "blocks"})).await;
        has(&text, &["Bug 1 blocks", "\n  5 [CONFIRMED]: Tracking"]);

        // A diamond: top depends on a and b, both depend on c; c is shown once.
        let c = new_bug(&mut s, json!({})).await;
        let a = new_bug(&mut s, json!({"depends_on": [c]})).await;
        let b = new_bug(&mut s, json!({"depends_on": [c]})).await;
        let top = new_bug(&mut s, json!({"depends_on": [a, b]})).await;
        let text = s.ok("bugzilla_dependency_tree", json!({"bug": top})).await;
        has(&text, &[&format!("\n  {a} ["), &format!("\n    {c} ["), &format!("\n  {b} [")]);
        assert_eq!(text.matches(&format!("\n    {c} [")).count(), 2, "{v}: {text}");
        assert_eq!(text.matches("(shown above)").count(), 1, "{v}: {text}");
        let text = s.ok("bugzilla_dependency_tree", json!({"bug": top, "depth": 1})).await;
        has(&text, &[&format!("\n  {a} ["), "(+1 deeper)"]);
        lacks(&text, &[&format!("\n    {c}")]);
        let err = s.err("bugzilla_dependency_tree", json!({"bug": top, "depth": 7})).await;
        has(&err, &["`depth`", "1 to 6"]);
        let err = s.err("bugzilla_dependency_tree", json!({"bug": top, "direction": "up"})).await;
        has(&err, &["`direction`"]);

        // What the limited user cannot see is said, not dropped.
        let hidden = {
            let text = s.ok("bugzilla_create_bug", json!({"product": "Secret", "component": "General",
                "summary": unique("Hidden dependency"), "version": "unspecified", "op_sys": "Linux", "platform": "PC"})).await;
            created_id(&text)
        };
        s.ok("bugzilla_update_bug", json!({"bug": c, "depends_on": [hidden]})).await;
        let mut user = bz.server(Who::User, false, &[]).await;
        let text = user.ok("bugzilla_dependency_tree", json!({"bug": top})).await;
        has(&text, &[&format!("{hidden} (not visible)")]);
    }
}
