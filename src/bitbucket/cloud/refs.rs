//! Bitbucket Cloud tags (`.../refs/tags`), newest first.

use super::*;

pub async fn list_tags(
    api: &BitbucketApi,
    repo: Repo<'_>,
    filter: Option<&str>,
    args: &PageArgs,
) -> Result<Page<Branch>> {
    list_refs(api, &TAGS, repo, filter, args).await
}
