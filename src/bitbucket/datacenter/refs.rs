//! Bitbucket Data Center tags (`.../tags`), most recently created first.

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
