//! Bitbucket Data Center pull request tasks: blocker comments (`.../blocker-comments`, 7.2+;
//! the older `/tasks` resource is gone since 9.0). Every change names the task's version,
//! read first.

use super::*;

pub async fn list_pull_request_tasks(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    args: &PageArgs,
) -> Result<Page<Comment>> {
    let id_text = id.to_string();
    let call = api.call(&PR_TASKS, &[repo.workspace, repo.slug, &id_text]);
    let page = api.page::<wire::Task>(call, args, &format!("pull request {id}")).await?;
    Ok(page.map(|t| Comment {
        id: t.id,
        author: label(t.author.as_ref()),
        created: date(t.created_date),
        text: t.text.unwrap_or_default(),
        state: if t.state.as_deref() == Some("RESOLVED") { "task, resolved" } else { "task, open" }.into(),
        ..Comment::default()
    }))
}

pub fn add_pull_request_task(api: &BitbucketApi, repo: Repo<'_>, id: u64, text: &str) -> Write {
    let id_text = id.to_string();
    Write {
        call: api
            .call(&PR_TASK_CREATE, &[repo.workspace, repo.slug, &id_text])
            .json(json!({"text": text, "severity": "BLOCKER"})),
        subject: format!("pull request {id} (add task)"),
        conflict_hint: "a closed pull request takes no new tasks",
    }
}

/// The task's current version (a change names it), read through the task resource.
async fn task_version(api: &BitbucketApi, repo: Repo<'_>, id: u64, task: u64) -> Result<i64> {
    let (id_text, task_text) = (id.to_string(), task.to_string());
    let call = api.call(&PR_TASK_GET, &[repo.workspace, repo.slug, &id_text, &task_text]);
    let current: wire::CommentVersion = api.get(call, &format!("task {task} of pull request {id}")).await?;
    Ok(current.version)
}

fn task_write(
    api: &BitbucketApi,
    repo: Repo<'_>,
    (id, task): (u64, u64),
    endpoint: &Endpoint,
    what: &str,
) -> Write {
    let hint = "the task changed since it was read; list the tasks again";
    client::pull_request_item_write(api, repo, id, ("task", task), endpoint, what, hint)
}

pub async fn resolve_pull_request_task(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    task: u64,
    resolved: bool,
) -> Result<Write> {
    let version = task_version(api, repo, id, task).await?;
    let (state, what) = if resolved { ("RESOLVED", "resolve") } else { ("OPEN", "reopen") };
    let mut write = task_write(api, repo, (id, task), &PR_TASK_UPDATE, what);
    write.call = write.call.json(json!({"version": version, "state": state}));
    Ok(write)
}

pub async fn delete_pull_request_task(
    api: &BitbucketApi,
    repo: Repo<'_>,
    id: u64,
    task: u64,
) -> Result<Write> {
    let version = task_version(api, repo, id, task).await?;
    let mut write = task_write(api, repo, (id, task), &PR_TASK_DELETE, "delete");
    write.call = write.call.query("version", version);
    Ok(write)
}
