//! Attaching local files by `path` (TRACKER_MCP_UPLOAD_DIRS): refused paths read and send
//! nothing; an uploaded PNG reads back byte-identical from the real Redmine and both real
//! Bugzillas.

use std::path::PathBuf;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::bugzilla::{Who, instances};
use crate::common::{Server, dev_env, live};
use crate::images::PNG;

/// A fresh directory with the allowed one inside and a file outside it.
struct Dirs {
    root: PathBuf,
    allowed: PathBuf,
}

impl Dirs {
    fn new(tag: &str) -> Self {
        let root = std::env::temp_dir().join(format!("tracker-mcp-uploads-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let allowed = root.join("allowed");
        std::fs::create_dir_all(&allowed).expect("dirs");
        std::fs::write(allowed.join("shot.png"), PNG).expect("png");
        std::fs::write(root.join("secret.txt"), "outside").expect("outside");
        Self { root, allowed }
    }
    fn allowed(&self) -> &str {
        self.allowed.to_str().expect("utf-8")
    }
    fn path(&self, name: &str) -> String {
        self.allowed.join(name).to_str().expect("utf-8").to_owned()
    }
}

impl Drop for Dirs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Every way a path is refused, on both trackers, against trackers that do not exist: the
/// refusal comes before any request (a request would fail to connect instead), and the FIFO is
/// never waited on.
#[tokio::test]
async fn refused_paths_read_nothing_and_send_nothing() {
    let d = Dirs::new("refused");
    std::os::unix::fs::symlink(d.root.join("secret.txt"), d.allowed.join("link.txt")).expect("symlink");
    std::fs::File::create(d.allowed.join("big.bin"))
        .and_then(|f| f.set_len(tracker_mcp::upload::UPLOAD_MAX_BYTES + 1))
        .expect("big");
    let fifo = d.path("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let dead = "http://127.0.0.1:9";
    let env = dev_env(
        &[
            ("REDMINE_URL", dead),
            ("REDMINE_API_KEY", "0123456789abcdef0123456789abcdef01234567"),
            ("BUGZILLA_URL", dead),
            ("BUGZILLA_API_KEY", "0123456789abcdef0123456789abcdef01234567"),
            ("TRACKER_MCP_VERIFY_ON_START", "false"),
            ("TRACKER_MCP_UPLOAD_DIRS", d.allowed()),
        ],
        true,
    );
    let mut s = Server::start(&env).await.0;
    let outside = d.root.join("secret.txt").to_str().expect("utf-8").to_owned();
    let cases = [
        (outside.clone(), "is outside the directories of TRACKER_MCP_UPLOAD_DIRS"),
        (d.path("link.txt"), "is outside the directories of TRACKER_MCP_UPLOAD_DIRS"),
        (d.path("big.bin"), "over the 10485760-byte upload cap"),
        (fifo.clone(), "is not a regular file"),
        (d.path("missing.png"), "cannot be resolved"),
        ("shot.png".to_owned(), "must be an absolute path"),
    ];
    for (path, why) in &cases {
        let redmine =
            s.err("redmine_create_issue", json!({"project": "alpha", "subject": "x", "path": path})).await;
        assert!(redmine.contains("`path`") && redmine.contains(why), "{path}: {redmine}");
        let bugzilla =
            s.err("bugzilla_add_attachment", json!({"bug": 1, "summary": "x", "path": path})).await;
        assert!(bugzilla.contains("`path`") && bugzilla.contains(why), "{path}: {bugzilla}");
    }
    let both = s
        .err(
            "bugzilla_add_attachment",
            json!({"bug": 1, "summary": "x", "path": d.path("shot.png"), "content": "x"}),
        )
        .await;
    assert!(both.contains("not both"), "{both}");
    s.finish().await;

    // Unset: no file uploads at all, and the refusal names the variable.
    let off = dev_env(
        &[
            ("REDMINE_URL", dead),
            ("REDMINE_API_KEY", "0123456789abcdef0123456789abcdef01234567"),
            ("TRACKER_MCP_VERIFY_ON_START", "false"),
        ],
        true,
    );
    let mut s = Server::start(&off).await.0;
    let e = s.err("redmine_add_note", json!({"id": 1, "notes": "x", "path": d.path("shot.png")})).await;
    assert!(e.contains("file uploads are off: set TRACKER_MCP_UPLOAD_DIRS"), "{e}");
    s.finish().await;

    // A directory that does not exist stops the start, naming the variable.
    let mut bad = off.clone();
    bad.push(("TRACKER_MCP_UPLOAD_DIRS", "/no/such/upload/dir"));
    let (code, _, stderr) = crate::common::run(&["check"], &bad).await;
    assert!(code != 0 && stderr.contains("TRACKER_MCP_UPLOAD_DIRS names /no/such/upload/dir"), "{stderr}");
}

async fn redmine_get(v: &std::collections::HashMap<String, String>, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", v["REDMINE_URL"]))
        .header("X-Redmine-API-Key", &v["REDMINE_API_KEY"])
        .send()
        .await
        .expect("get")
}

fn attachment_ids(issue: &Value) -> Vec<(u64, String)> {
    issue["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| (a["id"].as_u64().expect("id"), a["filename"].as_str().expect("name").to_owned()))
        .collect()
}

#[tokio::test]
async fn redmine_attaches_local_files_to_issues_notes_and_wiki_pages() {
    let Some(v) = live("redmine", &["REDMINE_URL", "REDMINE_API_KEY"]) else { return };
    let d = Dirs::new("redmine");
    std::fs::write(d.allowed.join("build.log"), "ERROR at step 3\n").expect("log");
    let env = dev_env(
        &[
            ("REDMINE_URL", &v["REDMINE_URL"]),
            ("REDMINE_API_KEY", &v["REDMINE_API_KEY"]),
            ("TRACKER_MCP_UPLOAD_DIRS", d.allowed()),
        ],
        true,
    );
    let mut s = Server::start(&env).await.0;
    // A dry run reads and sends nothing: it shows where the upload's token would go.
    let dry = s
        .ok(
            "redmine_create_issue",
            json!({"project": "alpha", "subject": "upload dry", "path": d.path("shot.png"), "dry_run": true}),
        )
        .await;
    assert!(
        dry.contains("Dry run") && dry.contains("<token of POST /uploads.json?filename=shot.png: 67 bytes>"),
        "{dry}"
    );

    let created = s
        .ok(
            "redmine_create_issue",
            json!({"project": "alpha", "subject": "upload test", "path": d.path("shot.png")}),
        )
        .await;
    assert!(created.contains("Attached shot.png."), "{created}");
    let id: u64 = created
        .strip_prefix("Created issue #")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("issue id");
    let note =
        s.ok("redmine_add_note", json!({"id": id, "notes": "the log", "path": d.path("build.log")})).await;
    assert!(note.contains("Attached build.log."), "{note}");
    let issue: Value =
        redmine_get(&v, &format!("/issues/{id}.json?include=attachments")).await.json().await.expect("json");
    let attachments = attachment_ids(&issue["issue"]);
    assert_eq!(attachments.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(), ["shot.png", "build.log"]);
    assert_eq!(issue["issue"]["attachments"][0]["content_type"], "image/png");
    assert_eq!(issue["issue"]["attachments"][1]["content_type"], "text/plain");
    // Byte for byte, from Redmine's own download and through the attachment tool.
    let png_id = attachments[0].0;
    let bytes =
        redmine_get(&v, &format!("/attachments/download/{png_id}")).await.bytes().await.expect("bytes");
    assert_eq!(bytes.as_ref(), PNG);
    let answer = s.call_raw("redmine_get_attachment", json!({"id": png_id})).await;
    assert_eq!(crate::images::image_of(&answer), Some(("image/png".to_owned(), PNG.to_vec())));

    let title = format!("Upload{}", std::process::id());
    let page = s
        .ok("redmine_update_wiki_page", json!({"project": "alpha", "title": title, "text": "h1. Shot\n\n!shot.png!", "path": d.path("shot.png")}))
        .await;
    assert!(page.contains("Attached shot.png."), "{page}");
    let wiki: Value = redmine_get(&v, &format!("/projects/alpha/wiki/{title}.json?include=attachments"))
        .await
        .json()
        .await
        .expect("wiki json");
    assert_eq!(
        attachment_ids(&wiki["wiki_page"]).iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(),
        ["shot.png"]
    );
    s.finish().await;
}

#[tokio::test]
async fn bugzilla_attaches_local_files_byte_identical() {
    let d = Dirs::new("bugzilla");
    for bz in instances() {
        let mut s = bz.server(Who::Admin, true, &[("TRACKER_MCP_UPLOAD_DIRS", d.allowed())]).await;
        let filed = s
            .ok("bugzilla_create_bug", json!({"product": "Alpha", "component": "Frontend", "summary": format!("upload test {}", std::process::id()), "version": "2.0", "op_sys": "Linux", "platform": "PC"}))
            .await;
        let bug: u64 = filed
            .strip_prefix("Created bug ")
            .and_then(|r| r.split(':').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{filed}"));
        let dry = s
            .ok(
                "bugzilla_add_attachment",
                json!({"bug": bug, "summary": "shot", "path": d.path("shot.png"), "dry_run": true}),
            )
            .await;
        assert!(
            dry.contains("<base64 of the 67 bytes of the file>") && dry.contains("shot.png"),
            "{}: {dry}",
            bz.version
        );
        let added = s
            .ok("bugzilla_add_attachment", json!({"bug": bug, "summary": "shot", "path": d.path("shot.png")}))
            .await;
        let attachment: u64 = added
            .strip_prefix("Added attachment ")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}: {added}", bz.version));
        // Bugzilla's own answer, decoded: the same bytes, typed from the name.
        let raw: Value = reqwest::Client::new()
            .get(format!("{}/rest/bug/attachment/{attachment}", bz.url))
            .header("X-BUGZILLA-API-KEY", &bz.admin_key)
            .query(&[("Bugzilla_api_key", bz.admin_key.as_str())])
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        let one = &raw["attachments"][attachment.to_string()];
        assert_eq!(one["content_type"], "image/png", "{}: {raw}", bz.version);
        assert_eq!(one["file_name"], "shot.png");
        let data = base64::engine::general_purpose::STANDARD
            .decode(one["data"].as_str().expect("data"))
            .expect("b64");
        assert_eq!(data, PNG, "{}", bz.version);
        let answer = s.call_raw("bugzilla_get_attachment", json!({"id": attachment})).await;
        assert_eq!(crate::images::image_of(&answer), Some(("image/png".to_owned(), PNG.to_vec())));

        // An attachment whose base64 is over the response cap: its metadata and its web page,
        // not an error (the cap is lowered here to stand for a file of many megabytes).
        let log = "0123456789abcdef\n".repeat(1_000);
        let added = s
            .ok(
                "bugzilla_add_attachment",
                json!({"bug": bug, "summary": "big log", "file_name": "big.log", "content": log}),
            )
            .await;
        let big: u64 = added
            .strip_prefix("Added attachment ")
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}: {added}", bz.version));
        s.finish().await;
        let mut capped = bz.server(Who::Admin, false, &[("TRACKER_MCP_MAX_RESPONSE_BYTES", "8192")]).await;
        let text = capped.ok("bugzilla_get_attachment", json!({"id": big})).await;
        for part in [
            &format!("Attachment on bug {bug}: {big} big.log"),
            "17000 bytes",
            "Content not downloaded",
            "8192-byte response cap (TRACKER_MCP_MAX_RESPONSE_BYTES)",
            &format!("/attachment.cgi?id={big}"),
        ] {
            assert!(text.contains(part), "{}: {part:?} in {text}", bz.version);
        }
        let small = capped.call_raw("bugzilla_get_attachment", json!({"id": attachment})).await;
        assert_eq!(crate::images::image_of(&small), Some(("image/png".to_owned(), PNG.to_vec())));
        capped.finish().await;
    }
}
