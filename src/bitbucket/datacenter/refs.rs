//! Bitbucket Data Center refs beyond the branch list: tags (`.../tags`, most recently created
//! first), two refs compared (`compare/...`), a branch created.

use std::fmt::Write as _;

use super::*;

pub async fn list_tags(
    api: &BitbucketApi,
    repo: Repo<'_>,
    filter: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Branch>> {
    // A tag has no `isDefault`, so it reads as not the default, as before.
    list_refs(api, &TAGS, repo, filter, args).await
}

/// What `to` has that `from` lacks. Data Center's compare names them the other way round:
/// its `from` is the ref with the changes, its `to` the base.
pub async fn compare(
    api: &BitbucketApi,
    repo: Repo<'_>,
    from: &str,
    to: &str,
    path: Option<&str>,
    limit: u32,
) -> Result<Comparison> {
    let subject = format!("{}: {from}..{to}", repo.subject());
    let at = [repo.workspace, repo.slug];
    let commits = api.call(&COMPARE_COMMITS, &at).query("from", to).query("to", from);
    let changes = api.call(&COMPARE_CHANGES, &at).query("from", to).query("to", from);
    let diff = match path {
        Some(p) => api.call(&COMPARE_DIFF_FILE, &[repo.workspace, repo.slug, p]),
        None => api.call(&COMPARE_DIFF, &at),
    }
    .query("from", to)
    .query("to", from);
    let (first, files) = (PageArgs { limit, cursor: None }, PageArgs { limit: 100, cursor: None });
    let (commits, changes, diff) = futures::join!(
        api.page::<wire::Commit>(commits, &first, &subject),
        api.page::<wire::Change>(changes, &files, &subject),
        api.get::<wire::Diffs>(diff, &subject)
    );
    Ok(Comparison { commits: commits?.map(commit), changes: changes?.map(change), diff: unified(diff?) })
}

/// A structured diff as unified diff text, for the renderer the pull request diff uses.
fn unified(d: wire::Diffs) -> String {
    let diffs = if d.diffs.is_empty() { vec![d.single] } else { d.diffs };
    let mut out = String::new();
    for f in diffs.into_iter().filter(|f| f.source.is_some() || f.destination.is_some()) {
        let name = |p: &Option<wire::Path>| p.as_ref().map(wire::Path::text).filter(|t| !t.is_empty());
        let (old, new) = (name(&f.source), name(&f.destination));
        let a = old.clone().or_else(|| new.clone()).unwrap_or_default();
        let b = new.clone().unwrap_or_else(|| a.clone());
        let _ = writeln!(out, "diff --git a/{a} b/{b}");
        let _ = writeln!(out, "--- {}", old.map_or_else(|| "/dev/null".to_owned(), |p| format!("a/{p}")));
        let _ = writeln!(out, "+++ {}", new.map_or_else(|| "/dev/null".to_owned(), |p| format!("b/{p}")));
        if f.binary == Some(true) {
            let _ = writeln!(out, "Binary files differ");
        }
        for h in f.hunks {
            let _ = writeln!(
                out,
                "@@ -{},{} +{},{} @@",
                h.source_line.unwrap_or(0),
                h.source_span.unwrap_or(0),
                h.destination_line.unwrap_or(0),
                h.destination_span.unwrap_or(0)
            );
            for seg in h.segments {
                let mark = match seg.kind.as_str() {
                    "ADDED" => '+',
                    "REMOVED" => '-',
                    _ => ' ',
                };
                for l in seg.lines {
                    let _ = writeln!(out, "{mark}{}", l.line);
                }
            }
        }
    }
    out
}

/// Where a new branch starts: Data Center's `startPoint` takes a branch, tag or commit as it is.
#[allow(clippy::unused_async)] // the same signature as Cloud's, which reads the commit
pub async fn branch_start(_api: &BitbucketApi, _repo: Repo<'_>, from: &str) -> Result<String> {
    Ok(from.to_owned())
}

pub fn create_branch(api: &BitbucketApi, repo: Repo<'_>, name: &str, from: &str) -> Write {
    Write {
        call: api
            .call(&BRANCH_CREATE, &[repo.workspace, repo.slug])
            .json(json!({"name": name, "startPoint": from})),
        subject: format!("branch {name} of {}", repo.subject()),
        conflict_hint: "a branch of that name exists already; pick another name",
    }
}

/// The branch a create answered with.
pub fn created_branch(answer: Value) -> Result<Branch> {
    let b: wire::Ref = crate::http::decode(TRACKER, answer)?;
    Ok(Branch {
        name: b.name(),
        hash: b.latest_commit.unwrap_or_default(),
        is_default: b.is_default.unwrap_or(false),
        date: String::new(),
    })
}
