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
