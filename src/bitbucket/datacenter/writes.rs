//! Bitbucket Data Center writes (pull requests, comments, reviews, merges) as [`Write`]s.

use super::*;

fn ref_body(name: &str, repo: Repo<'_>) -> Value {
    json!({"id": branch_ref(name), "repository": {"slug": repo.slug, "project": {"key": repo.workspace}}})
}

pub fn create_pull_request(api: &BitbucketApi, repo: Repo<'_>, pr: &NewPullRequest) -> Write {
    let mut body = json!({
        "title": pr.title,
        "fromRef": ref_body(&pr.source, repo),
        "toRef": ref_body(&pr.target, repo),
    });
    if let Some(d) = &pr.description {
        body["description"] = json!(d);
    }
    if pr.draft {
        body["draft"] = json!(true);
    }
    if !pr.reviewers.is_empty() {
        body["reviewers"] = pr.reviewers.iter().map(|r| json!({"user": {"name": r}})).collect();
    }
    Write {
        call: api.call(&PR_CREATE, &[repo.workspace, repo.slug]).json(body),
        subject: repo.subject(),
        conflict_hint: "a pull request for these branches may already exist, or the branches are identical; \
             list open pull requests",
    }
}

pub fn add_pull_request_comment(api: &BitbucketApi, repo: Repo<'_>, id: u64, c: &NewComment) -> Write {
    let mut body = json!({"text": c.text});
    if let Some(parent) = c.parent {
        body["parent"] = json!({"id": parent});
    }
    if let Some(path) = &c.path {
        let mut anchor = json!({"path": path, "diffType": "EFFECTIVE"});
        if let Some(line) = c.line {
            anchor["line"] = json!(line);
            anchor["lineType"] = json!("ADDED");
            anchor["fileType"] = json!("TO");
        }
        body["anchor"] = anchor;
    }
    let id_text = id.to_string();
    Write {
        call: api.call(&PR_COMMENT, &[repo.workspace, repo.slug, &id_text]).json(body),
        subject: format!("pull request {id}"),
        conflict_hint: "",
    }
}

pub fn approve_pull_request(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Write {
    let id_text = id.to_string();
    Write {
        call: api.call(&PR_APPROVE, &[repo.workspace, repo.slug, &id_text]),
        subject: format!("pull request {id} (approve)"),
        conflict_hint: "authors cannot approve their own pull request, and a closed one cannot be approved",
    }
}

pub fn request_changes(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Write {
    let body = json!({"participantStatus": "NEEDS_WORK"});
    let id_text = id.to_string();
    Write {
        call: api.call(&PR_REVIEW, &[repo.workspace, repo.slug, &id_text]).json(body),
        subject: format!("pull request {id} (needs work)"),
        conflict_hint: "authors cannot review their own pull request, and a closed one cannot be reviewed",
    }
}

/// Merge at the version just read (Data Center refuses a stale version with 409).
pub async fn merge_pull_request(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    strategy: Option<&str>,
    message: Option<&str>,
    _close_source_branch: Option<bool>,
) -> Result<Write> {
    let pr = read_pull_request(api, repo, id, false).await?;
    let mut body = json!({});
    if let Some(strategy) = strategy {
        body["strategyId"] = json!(strategy);
    }
    if let Some(message) = message {
        body["message"] = json!(message);
    }
    let id_text = id.to_string();
    Ok(Write {
        call: api
            .call(&PR_MERGE, &[repo.workspace, repo.slug, &id_text])
            .query("version", pr.version.unwrap_or_default())
            .json(body),
        subject: format!("pull request {id} (merge)"),
        conflict_hint: MERGE_CONFLICT,
    })
}

pub async fn decline_pull_request(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Result<Write> {
    let pr = read_pull_request(api, repo, id, false).await?;
    let body = json!({});
    let id_text = id.to_string();
    Ok(Write {
        call: api
            .call(&PR_DECLINE, &[repo.workspace, repo.slug, &id_text])
            .query("version", pr.version.unwrap_or_default())
            .json(body),
        subject: format!("pull request {id} (decline)"),
        conflict_hint: "the pull request is not open any more, or changed since it was read; read it again",
    })
}

/// `PUT .../pull-requests/{id}` replaces the whole pull request at its version: it is read
/// first (verbatim, so a description comes back byte for byte) and every field not named is
/// sent back as it was, so an update never drops the reviewers.
pub async fn update_pull_request(api: &BitbucketApi, repo: Repo<'_>, id: u64, u: &PrUpdate) -> Result<Write> {
    let id_text = id.to_string();
    let args = [repo.workspace, repo.slug, id_text.as_str()];
    let subject = format!("pull request {id}");
    let current: wire::PrFields = api.get_verbatim(api.call(&PR, &args), &subject).await?;
    let reviewers: Vec<Value> = match &u.reviewers {
        Some(named) => named.iter().map(|r| json!({"user": {"name": r}})).collect(),
        None => current.reviewers.iter().map(|r| json!({"user": {"name": r.user.name}})).collect(),
    };
    let to_ref = match &u.target {
        Some(target) => ref_body(target, repo),
        None => ref_body(&current.to_ref.id, repo),
    };
    let mut body = json!({
        "version": current.version,
        "title": u.title.as_ref().unwrap_or(&current.title),
        "reviewers": reviewers,
        "toRef": to_ref,
    });
    if let Some(d) = u.description.as_ref().or(current.description.as_ref()) {
        body["description"] = json!(d);
    }
    // Servers before drafts (8.18) send no `draft`; then none is sent unless named.
    if let Some(draft) = u.draft.or(current.draft) {
        body["draft"] = json!(draft);
    }
    Ok(Write {
        call: api.call(&PR_UPDATE, &args).json(body),
        subject: format!("{subject} (update)"),
        conflict_hint: "the pull request changed since it was read; read it again and retry",
    })
}

/// The comment's current version (every change must name it) and kind.
async fn comment_version(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    comment: u64,
) -> Result<wire::CommentVersion> {
    let (id_text, comment_text) = (id.to_string(), comment.to_string());
    let call = api.call(&PR_COMMENT_GET, &[repo.workspace, repo.slug, &id_text, &comment_text]);
    api.get(call, &format!("comment {comment} of pull request {id}")).await
}

fn comment_write(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    comment: u64,
    endpoint: &crate::bitbucket::endpoints::Endpoint,
    what: &str,
) -> Write {
    let hint = "the comment changed since it was read, or has replies; read the comments again";
    client::pull_request_item_write(api, repo, id, ("comment", comment), endpoint, what, hint)
}

pub async fn edit_pull_request_comment(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    comment: u64,
    text: &str,
) -> Result<Write> {
    let version = comment_version(api, repo, id, comment).await?.version;
    let mut write = comment_write(api, repo, id, comment, &PR_COMMENT_EDIT, "edit");
    write.call = write.call.json(json!({"version": version, "text": text}));
    Ok(write)
}

pub async fn delete_pull_request_comment(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    comment: u64,
) -> Result<Write> {
    let version = comment_version(api, repo, id, comment).await?.version;
    let mut write = comment_write(api, repo, id, comment, &PR_COMMENT_DELETE, "delete");
    write.call = write.call.query("version", version);
    Ok(write)
}

/// A task (`severity` BLOCKER) is resolved through its `state`, a comment thread through
/// `threadResolved`.
pub async fn resolve_pull_request_comment(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    comment: u64,
    resolved: bool,
) -> Result<Write> {
    let current = comment_version(api, repo, id, comment).await?;
    let body = if current.severity.as_deref() == Some("BLOCKER") {
        json!({"version": current.version, "state": if resolved { "RESOLVED" } else { "OPEN" }})
    } else {
        json!({"version": current.version, "threadResolved": resolved})
    };
    let what = if resolved { "resolve" } else { "reopen" };
    let mut write = comment_write(api, repo, id, comment, &PR_COMMENT_EDIT, what);
    write.call = write.call.json(body);
    Ok(write)
}

pub async fn unapprove_pull_request(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Result<Write> {
    let id_text = id.to_string();
    Ok(Write {
        call: api.call(&PR_UNAPPROVE, &[repo.workspace, repo.slug, &id_text]),
        subject: format!("pull request {id} (unapprove)"),
        conflict_hint: "a closed pull request cannot be unapproved",
    })
}

/// Back to "no verdict" through the participants resource, which needs the account's slug:
/// Data Center names the account in the `X-AUSERNAME` header, and the pull request's
/// participants give its slug (one who has not reviewed has nothing to withdraw).
pub async fn withdraw_change_request(api: &BitbucketApi, repo: Repo<'_>, id: u64) -> Result<Write> {
    let id_text = id.to_string();
    let args = [repo.workspace, repo.slug, id_text.as_str()];
    let subject = format!("pull request {id}");
    let (me, pr) = futures::join!(
        api.send(api.call(&APPLICATION_PROPERTIES, &[]).request, "the server properties"),
        api.get::<wire::Participants>(api.call(&PR, &args), &subject)
    );
    let me = me?.header("x-ausername").map(str::to_owned).ok_or_else(|| {
        Error::bad_response(
            TRACKER,
            "Bitbucket did not say which account the token is (no X-AUSERNAME header)",
        )
    })?;
    let pr = pr?;
    let mine = pr.reviewers.iter().chain(&pr.participants).find(|p| p.user.name.eq_ignore_ascii_case(&me));
    let slug = match mine {
        Some(p) if p.status.as_deref() == Some("NEEDS_WORK") => p.user.slug.clone(),
        _ => {
            return Err(Error::invalid(
                "pull_request_id",
                format!("{me} has not requested changes on pull request #{id}"),
            ));
        }
    };
    let call = api
        .call(&PR_PARTICIPANT_STATUS, &[repo.workspace, repo.slug, &id_text, &slug])
        .json(json!({"status": "UNAPPROVED"}));
    Ok(Write {
        call,
        subject: format!("{subject} (withdraw change request)"),
        conflict_hint: "a closed pull request cannot be reviewed",
    })
}
