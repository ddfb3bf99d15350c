//! Bitbucket Cloud pull request tasks (`.../pullrequests/{id}/tasks`): listed as comments whose
//! state says "task, open" or "task, resolved", so the tasks render like the comments they
//! hang on.

use super::*;

fn task(t: wire::Task) -> Comment {
    Comment {
        id: t.id,
        parent: t.comment.map(|c| c.id),
        author: label(t.creator.as_ref()),
        created: t.created_on.unwrap_or_default(),
        text: t.content.raw.unwrap_or_default(),
        state: if t.state == "RESOLVED" { "task, resolved".into() } else { "task, open".into() },
        ..Comment::default()
    }
}

pub async fn list_pull_request_tasks(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    args: &PageArgs,
) -> Result<Page<Comment>> {
    let id_text = id.to_string();
    let call = api.call(&PR_TASKS, &[repo.workspace, repo.slug, &id_text]);
    let page = api.page(call, args, &format!("pull request {id}")).await?;
    Ok(page.map(task))
}

pub fn add_pull_request_task(api: &BitbucketApi, repo: Repo<'_>, id: u64, text: &str) -> Write {
    let id_text = id.to_string();
    Write {
        // The spec's task body takes no `type`.
        call: api
            .call(&PR_TASK_CREATE, &[repo.workspace, repo.slug, &id_text])
            .json(json!({"content": {"raw": text}})),
        subject: format!("pull request {id} (add task)"),
        conflict_hint: "",
    }
}

fn task_write(
    api: &BitbucketApi,
    repo: Repo<'_>,
    (id, task): (u64, u64),
    endpoint: &Endpoint,
    what: &str,
) -> Write {
    client::pull_request_item_write(api, repo, id, ("task", task), endpoint, what, "")
}

pub async fn resolve_pull_request_task(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    task: u64,
    resolved: bool,
) -> Result<Write> {
    let (state, what) = if resolved { ("RESOLVED", "resolve") } else { ("UNRESOLVED", "reopen") };
    let mut write = task_write(api, repo, (id, task), &PR_TASK_UPDATE, what);
    write.call = write.call.json(json!({"state": state}));
    Ok(write)
}

pub async fn delete_pull_request_task(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    task: u64,
) -> Result<Write> {
    Ok(task_write(api, repo, (id, task), &PR_TASK_DELETE, "delete"))
}
