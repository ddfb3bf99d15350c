//! Bitbucket Cloud refs beyond the branch list: tags (`.../refs/tags`, newest first), two refs
//! compared, a branch created.

use super::*;

pub async fn list_tags(
    api: &BitbucketApi,
    repo: Repo<'_>,
    filter: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Branch>> {
    list_refs(api, &TAGS, repo, filter, args).await
}

/// What `to` has that `from` lacks: its commits (`include`/`exclude`), the diffstat and the
/// diff of the spec `to..from` (Cloud's `a..b` is what `a` changed since it left `b`, the
/// reverse of git's order).
pub async fn compare(
    api: &BitbucketApi,
    repo: Repo<'_>,
    from: &str,
    to: &str,
    path: Option<&str>,
    limit: u32,
) -> Result<Comparison> {
    let spec = format!("{to}..{from}");
    let subject = format!("{}: {from}..{to}", repo.subject());
    let at = [repo.workspace, repo.slug];
    let commits = api.call(&COMMITS_RANGE, &at).query("include", to).query("exclude", from);
    let stat = api.call(&DIFFSTAT, &[repo.workspace, repo.slug, &spec]);
    let diff =
        api.call(&DIFF, &[repo.workspace, repo.slug, &spec]).query_opt("path", path).accept("text/plain");
    let (first, files) = (PageArgs { limit, cursor: None }, PageArgs { limit: 100, cursor: None });
    let (commits, stat, diff) = futures::join!(
        api.page::<wire::Commit>(commits, &first, &subject),
        api.page::<wire::DiffStat>(stat, &files, &subject),
        api.send(diff.request, &subject)
    );
    Ok(Comparison { commits: commits?.map(commit), changes: stat?.map(change), diff: diff?.text() })
}

/// Where a new branch starts: Cloud's create takes a commit hash (`target.hash`), so a branch,
/// tag or short hash is first resolved to its commit (a ref that does not exist is then said
/// before anything is written).
pub async fn branch_start(api: &BitbucketApi, repo: Repo<'_>, from: &str) -> Result<String> {
    if from.len() == 40 && from.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(from.to_owned());
    }
    let subject = format!("ref {from} of {}", repo.subject());
    let found: wire::Commit =
        api.get(api.call(&COMMIT, &[repo.workspace, repo.slug, from]), &subject).await?;
    let hash = commit(found).hash;
    if hash.is_empty() {
        return Err(Error::bad_response(TRACKER, format!("the answer for {subject} has no commit hash")));
    }
    Ok(hash)
}

/// A new branch at `from` (a commit hash: see [`branch_start`]). The spec
/// gives this operation no body schema, so no `"type"` is added.
pub fn create_branch(api: &BitbucketApi, repo: Repo<'_>, name: &str, from: &str) -> Write {
    Write {
        call: api
            .call(&BRANCH_CREATE, &[repo.workspace, repo.slug])
            .json(json!({"name": name, "target": {"hash": from}})),
        subject: format!("branch {name} of {}", repo.subject()),
        conflict_hint: "a branch of that name exists already; pick another name",
    }
}

/// The branch a create answered with.
pub fn created_branch(answer: Value) -> Result<Branch> {
    let b: wire::Branch = crate::http::decode(TRACKER, answer)?;
    Ok(Branch {
        name: b.name,
        hash: b.target.as_ref().and_then(|t| t.hash.clone()).unwrap_or_default(),
        is_default: false,
        date: b.target.and_then(|t| t.date).unwrap_or_default(),
    })
}
