//! Bitbucket Data Center people and the account's inbox: the default reviewers a pull request
//! between two branches would get, users by name, and the pull requests the account reviews.

use super::*;

fn person(u: wire::User) -> Person {
    Person {
        name: u.label(),
        reviewer: u.name.clone().or(u.slug.clone()).unwrap_or_default(),
        detail: u.email_address.unwrap_or_default(),
    }
}

/// The default reviewers of a pull request from `source` to `target` in this repository (the
/// repository's id read first; both refs in it). The spec types the answer as conditions with
/// their `reviewers`, Data Center sends the users: both are read.
pub async fn default_reviewers(
    api: &BitbucketApi,
    repo: Repo<'_>,
    source: Option<&str>,
    target: Option<&str>,
) -> Result<Page<Person>> {
    let (Some(source), Some(target)) = (source, target) else {
        return Err(Error::invalid(
            "from",
            "Data Center names default reviewers per pair of branches: give `from` (target) and `to` (source)",
        ));
    };
    let r: wire::Repository = api.get(api.call(&REPO, &[repo.workspace, repo.slug]), &repo.subject()).await?;
    let id = r.id.ok_or_else(|| Error::bad_response(TRACKER, "the repository has no id"))?;
    let call = api
        .call(&DEFAULT_REVIEWERS, &[repo.workspace, repo.slug])
        .query("sourceRepoId", id)
        .query("targetRepoId", id)
        .query("sourceRefId", branch_ref(source))
        .query("targetRefId", branch_ref(target));
    let answer: Vec<Value> = api.get(call, &repo.subject()).await?;
    let mut people: Vec<Person> = Vec::new();
    for item in answer {
        let users = match item.get("reviewers").and_then(Value::as_array) {
            Some(list) => list.clone(),
            None => vec![item],
        };
        for u in users {
            let p = person(crate::http::decode(TRACKER, u)?);
            if !p.reviewer.is_empty() && !people.iter().any(|q| q.reviewer == p.reviewer) {
                people.push(p);
            }
        }
    }
    Ok(Page { items: people, offset: 0, total: None, next: None, note: None })
}

/// Users whose name, slug, display name or e-mail contains `query`: the first page only (the
/// spec gives this list no paging parameters).
pub async fn find_users(
    api: &BitbucketApi,
    _workspace: &str,
    query: &str,
    _args: &PageArgs,
) -> Result<Page<Person>> {
    let call = api.call(&USERS, &[]).query("filter", query);
    // Data Center sends a page of users; the spec describes one user: both are read.
    let answer: Value = api.get(call, "the user list").await?;
    let (users, last) = if answer.get("values").is_some() {
        let page: wire::Page<wire::User> = crate::http::decode(TRACKER, answer)?;
        (page.values, page.is_last_page)
    } else {
        (vec![crate::http::decode::<wire::User>(TRACKER, answer)?], true)
    };
    let note = (!last).then(|| "first page only; narrow the name for the rest".to_owned());
    Ok(Page { items: users.into_iter().map(person).collect(), offset: 0, total: None, next: None, note })
}

/// Pull requests the account is a reviewer of, across all projects (`workspace` unused).
pub async fn inbox(api: &BitbucketApi, _workspace: Option<&str>, args: &PageArgs) -> Result<Page<InboxItem>> {
    let start = args.cursor.as_deref().map(client::parse_dc_cursor).transpose()?.unwrap_or(0);
    let call =
        api.call(&INBOX, &[]).query("role", "REVIEWER").query("start", start).query("limit", args.limit);
    let response = api.send(call.request, "the inbox").await?;
    // The spec declares no body for this list (a mock answers none): an empty inbox.
    let body: wire::Page<wire::PullRequest> = if response.body.is_empty() {
        wire::Page { values: Vec::new(), is_last_page: true, next_page_start: None }
    } else {
        response.json(TRACKER)?
    };
    let next = body.next_page_start.filter(|n| !body.is_last_page && *n > 0).map(|n| n.to_string());
    let page = Page { items: body.values, offset: start, total: None, next, note: None };
    Ok(page.map(|pr| {
        let repo = pr
            .to_ref
            .as_ref()
            .and_then(|r| r.repository.as_ref())
            .map(|r| format!("{}/{}", r.project.as_ref().map_or("-", |p| p.key.as_str()), r.slug))
            .unwrap_or_default();
        InboxItem { repo, pr: pull_request(pr) }
    }))
}
