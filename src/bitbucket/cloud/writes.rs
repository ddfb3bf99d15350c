//! Bitbucket Cloud writes (pull requests, comments, reviews, merges, issues) as [`Write`]s.
//! Every Cloud body carries `"type"`: the spec requires it, the live API ignores it.

use super::*;

pub fn create_pull_request(api: &BitbucketApi, repo: Repo<'_>, pr: &NewPullRequest) -> Write {
    let mut body = json!({
        "type": "pullrequest",
        "title": pr.title,
        "source": {"branch": {"name": pr.source}},
        "destination": {"branch": {"name": pr.target}},
        "close_source_branch": pr.close_source_branch,
    });
    if let Some(d) = &pr.description {
        body["description"] = json!(d);
    }
    if pr.draft {
        body["draft"] = json!(true);
    }
    if !pr.reviewers.is_empty() {
        body["reviewers"] = pr.reviewers.iter().map(|r| account(r)).collect();
    }
    Write {
        call: api.call(&PR_CREATE, &[repo.workspace, repo.slug]).json(body),
        subject: repo.subject(),
        conflict_hint: "a pull request for these branches may already exist; list open pull requests",
    }
}

pub fn add_pull_request_comment(api: &BitbucketApi, repo: Repo<'_>, id: u64, c: &NewComment) -> Write {
    let mut body = json!({"type": "pullrequest_comment", "content": {"raw": c.text}});
    if let Some(path) = &c.path {
        let mut inline = json!({"path": path});
        if let Some(line) = c.line {
            inline["to"] = json!(line);
        }
        body["inline"] = inline;
    }
    if let Some(parent) = c.parent {
        body["parent"] = json!({"type": "pullrequest_comment", "id": parent});
    }
    let id_text = id.to_string();
    Write {
        call: api.call(&PR_COMMENT, &[repo.workspace, repo.slug, &id_text]).json(body),
        subject: format!("pull request {id}"),
        conflict_hint: "",
    }
}

/// A body-less action on a pull request (approve, request changes, decline).
fn pr_action(api: &BitbucketApi, repo: Repo<'_>, id: u64, endpoint: &Endpoint, what: &str) -> Write {
    let id_text = id.to_string();
    Write {
        call: api.call(endpoint, &[repo.workspace, repo.slug, &id_text]),
        subject: format!("pull request {id} ({what})"),
        conflict_hint: "the pull request is not open any more, or was changed meanwhile; read it again",
    }
}

pub fn approve_pull_request(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Write {
    pr_action(api, repo, id, &PR_APPROVE, "approve")
}

pub fn request_changes(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Write {
    pr_action(api, repo, id, &PR_REQUEST_CHANGES, "request changes")
}

pub async fn decline_pull_request(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Result<Write> {
    Ok(pr_action(api, repo, id, &PR_DECLINE, "decline"))
}

pub async fn merge_pull_request(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    strategy: Option<&str>,
    message: Option<&str>,
    close_source_branch: Option<bool>,
) -> Result<Write> {
    let mut body = json!({"type": "pullrequest_merge_parameters"});
    if let Some(strategy) = strategy {
        body["merge_strategy"] = json!(strategy);
    }
    if let Some(message) = message {
        body["message"] = json!(message);
    }
    if let Some(close) = close_source_branch {
        body["close_source_branch"] = json!(close);
    }
    let id_text = id.to_string();
    Ok(Write {
        call: api.call(&PR_MERGE, &[repo.workspace, repo.slug, &id_text]).json(body),
        subject: format!("pull request {id} (merge)"),
        conflict_hint: MERGE_CONFLICT,
    })
}

pub fn create_issue(
    api: &BitbucketApi,
    repo: Repo<'_>,
    title: &str,
    content: Option<&str>,
    kind: Option<&str>,
    priority: Option<&str>,
) -> Result<Write> {
    let mut body = json!({"type": "issue", "title": title});
    if let Some(content) = content {
        body["content"] = json!({"raw": content});
    }
    if let Some(kind) = kind {
        body["kind"] = json!(kind);
    }
    if let Some(priority) = priority {
        body["priority"] = json!(priority);
    }
    Ok(Write {
        call: api.call(&ISSUE_CREATE, &[repo.workspace, repo.slug]).json(body),
        subject: format!("the issue tracker of {}", repo.subject()),
        conflict_hint: "",
    })
}

pub fn add_issue_comment(api: &BitbucketApi, repo: Repo<'_>, id: u64, text: &str) -> Result<Write> {
    let id_text = id.to_string();
    Ok(Write {
        call: api
            .call(&ISSUE_COMMENT, &[repo.workspace, repo.slug, &id_text])
            .json(json!({"type": "issue_comment", "content": {"raw": text}})),
        subject: format!("issue {id}"),
        conflict_hint: "",
    })
}

fn account(r: &str) -> Value {
    if r.starts_with('{') {
        json!({"type": "user", "uuid": r})
    } else {
        json!({"type": "user", "account_id": r})
    }
}

/// Update at once what is named. The body must carry `title`, and a `PUT` without reviewers
/// drops them: unless both are named the pull request is read first (verbatim) and what was
/// not named (title, description, reviewers, draft) is sent back as it was.
pub async fn update_pull_request(api: &BitbucketApi, repo: Repo<'_>, id: u64, u: &PrUpdate) -> Result<Write> {
    let id_text = id.to_string();
    let args = [repo.workspace, repo.slug, id_text.as_str()];
    let subject = format!("pull request {id}");
    let current = if u.title.is_none() || u.reviewers.is_none() {
        Some(api.get_verbatim::<wire::PrFields>(api.call(&PR, &args), &subject).await?)
    } else {
        None
    };
    let mut body = json!({"type": "pullrequest"});
    let title = u.title.as_ref().or(current.as_ref().map(|c| &c.title));
    body["title"] = json!(title);
    let description = u.description.clone().or_else(|| current.as_ref().and_then(|c| c.description.clone()));
    if let Some(d) = description {
        body["description"] = json!(d);
    }
    let reviewers = match (&u.reviewers, current.as_ref().and_then(|c| c.reviewers.as_ref())) {
        (Some(named), _) => Some(named.iter().map(|r| account(r)).collect::<Vec<_>>()),
        (None, Some(kept)) => Some(kept.iter().map(|a| account(&a.uuid)).collect()),
        (None, None) => None,
    };
    if let Some(r) = reviewers {
        body["reviewers"] = json!(r);
    }
    if let Some(target) = &u.target {
        body["destination"] = json!({"branch": {"name": target}});
    }
    if let Some(draft) = u.draft.or_else(|| current.as_ref().and_then(|c| c.draft)) {
        body["draft"] = json!(draft);
    }
    Ok(Write {
        call: api.call(&PR_UPDATE, &args).json(body),
        subject: format!("{subject} (update)"),
        conflict_hint: "",
    })
}

/// A change to one comment of a pull request.
fn comment_write(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    comment: u64,
    endpoint: &Endpoint,
    what: &str,
) -> Write {
    client::pull_request_item_write(api, repo, id, ("comment", comment), endpoint, what, "")
}

pub async fn edit_pull_request_comment(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    comment: u64,
    text: &str,
) -> Result<Write> {
    let mut write = comment_write(api, repo, id, comment, &PR_COMMENT_EDIT, "edit");
    write.call = write.call.json(json!({"type": "pullrequest_comment", "content": {"raw": text}}));
    Ok(write)
}

pub async fn delete_pull_request_comment(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    comment: u64,
) -> Result<Write> {
    Ok(comment_write(api, repo, id, comment, &PR_COMMENT_DELETE, "delete"))
}

/// Resolve a comment's thread, or reopen it (`resolved` false).
pub async fn resolve_pull_request_comment(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    comment: u64,
    resolved: bool,
) -> Result<Write> {
    Ok(if resolved {
        let mut write = comment_write(api, repo, id, comment, &PR_COMMENT_RESOLVE, "resolve");
        write.conflict_hint = "the thread is resolved already";
        write
    } else {
        comment_write(api, repo, id, comment, &PR_COMMENT_REOPEN, "reopen")
    })
}

pub async fn unapprove_pull_request(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Result<Write> {
    Ok(pr_action(api, repo, id, &PR_UNAPPROVE, "unapprove"))
}

pub async fn withdraw_change_request(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Result<Write> {
    Ok(pr_action(api, repo, id, &PR_WITHDRAW_CHANGES, "withdraw change request"))
}
