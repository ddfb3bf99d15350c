//! Bitbucket Cloud people and the account's inbox: a repository's effective default reviewers,
//! workspace members by name, and the open pull requests the account reviews.

use super::*;

/// Members read per page when looking people up (Cloud's largest page).
const MEMBERS_PAGE: u32 = 100;
/// Repositories whose pull requests the inbox reads per page.
pub const INBOX_REPOS: u32 = 10;

fn person(m: wire::Member) -> Person {
    let user = m.user.unwrap_or_default();
    Person {
        name: user.label(),
        reviewer: user.uuid.clone().unwrap_or_default(),
        detail: m.reviewer_type.or(user.nickname).unwrap_or_default(),
    }
}

pub async fn default_reviewers(
    api: &BitbucketApi,
    repo: Repo<'_>,
    _source: Option<&str>,
    _target: Option<&str>,
) -> Result<Page<Person>> {
    let call = api.call(&DEFAULT_REVIEWERS, &[repo.workspace, repo.slug]);
    let page =
        api.page::<wire::Member>(call, &PageArgs { limit: 100, cursor: None }, &repo.subject()).await?;
    Ok(page.map(person))
}

/// Members whose name or nickname contains `query`, filtered here over one page of
/// [`MEMBERS_PAGE`] members (the spec filters members by e-mail only).
pub async fn find_users(
    api: &BitbucketApi,
    workspace: &str,
    query: &str,
    args: &PageArgs,
) -> Result<Page<Person>> {
    let call = api.call(&MEMBERS, &[workspace]);
    let args = PageArgs { limit: MEMBERS_PAGE, cursor: args.cursor.clone() };
    let mut page = api.page::<wire::Member>(call, &args, &format!("workspace {workspace}")).await?;
    let read = page.items.len();
    let needle = query.to_lowercase();
    page.items.retain(|m| {
        m.user.as_ref().is_some_and(|u| {
            [&u.display_name, &u.nickname].into_iter().flatten().any(|n| n.to_lowercase().contains(&needle))
        })
    });
    page.note = Some(format!(
        "matched here: {} of the {read} members of this page; later pages may hold more",
        page.items.len()
    ));
    page.total = None;
    Ok(page.map(person))
}

/// Open pull requests the account reviews in the workspace's [`INBOX_REPOS`] most recently
/// updated repositories (the cursor pages on through the repositories).
pub async fn inbox(api: &BitbucketApi, workspace: Option<&str>, args: &PageArgs) -> Result<Page<InboxItem>> {
    let workspace = workspace.ok_or_else(|| {
        Error::invalid("workspace", "Bitbucket Cloud reads the inbox of one workspace: name it")
    })?;
    let me: wire::CurrentUser = api.get(api.call(&USER, &[]), "the current user").await?;
    let uuid = me
        .uuid
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::bad_response(TRACKER, "the current user has no uuid"))?;
    let repos = api.call(&REPOS, &[workspace]).query("sort", "-updated_on");
    let repo_args = PageArgs { limit: INBOX_REPOS, cursor: args.cursor.clone() };
    let repos = api.page::<wire::Repository>(repos, &repo_args, &format!("workspace {workspace}")).await?;
    let condition = format!("{} AND state=\"OPEN\"", account_condition("reviewers", &uuid));
    let slugs: Vec<String> = repos
        .items
        .iter()
        .map(|r| {
            r.slug
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| r.full_name.rsplit('/').next().unwrap_or_default().to_owned())
        })
        .collect();
    let reads =
        slugs.iter().map(|slug| {
            let call = api.call(&PRS, &[workspace, slug]).query("q", condition.clone());
            let subject = format!("repository {workspace}/{slug}");
            async move {
                api.page::<wire::PullRequest>(call, &PageArgs { limit: 50, cursor: None }, &subject).await
            }
        });
    let pages = futures::future::join_all(reads).await;
    let mut items = Vec::new();
    let mut more = Vec::new();
    for (slug, page) in slugs.iter().zip(pages) {
        let page = page?;
        if page.next.is_some() {
            more.push(slug.as_str());
        }
        items.extend(
            page.items
                .into_iter()
                .map(|pr| InboxItem { repo: format!("{workspace}/{slug}"), pr: pull_request(pr) }),
        );
    }
    let mut note = format!(
        "open pull requests you review in the {} most recently updated repositories of {workspace} read here (offset {})",
        slugs.len(),
        repos.offset
    );
    if !more.is_empty() {
        note.push_str(&format!("; first 50 shown in {}", more.join(", ")));
    }
    Ok(Page { items, offset: 0, total: None, next: repos.next, note: Some(note) })
}
