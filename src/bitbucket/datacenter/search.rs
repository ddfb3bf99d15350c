//! Bitbucket Data Center code search: the search REST module (`/rest/search/latest/search`,
//! which the published spec leaves out; `tests/specs/bitbucket-datacenter-extra.openapi.json`
//! describes it). The project (and repository) are query modifiers, as in the web UI.

use super::*;

pub async fn search_code(
    api: &BitbucketApi,
    workspace: &str,
    query: &str,
    repo: Option<&str>,
    args: &PageArgs,
) -> Result<Page<SearchHit>> {
    let start = args.cursor.as_deref().map(client::parse_dc_cursor).transpose()?.unwrap_or(0);
    let mut text = format!("{query} project:{workspace}");
    if let Some(r) = repo {
        text.push_str(&format!(" repo:{r}"));
    }
    let body = json!({
        "query": text,
        "entities": {"code": {"start": start, "limit": args.limit}},
        "limits": {"primary": args.limit, "secondary": 1},
    });
    let call = api.call(&SEARCH, &[]).json(body);
    let answer: wire::SearchResults = api.get(call, &format!("project {workspace}")).await?;
    let code = answer.code.unwrap_or(wire::CodeHits {
        values: Vec::new(),
        is_last_page: Some(true),
        next_start: None,
        count: Some(0),
    });
    let next = code.next_start.filter(|n| code.is_last_page != Some(true) && *n > 0).map(|n| n.to_string());
    let items = code
        .values
        .into_iter()
        .map(|hit| SearchHit {
            repo: hit
                .repository
                .map(|r| format!("{}/{}", r.project.map(|p| p.key).unwrap_or_default(), r.slug))
                .unwrap_or_default(),
            path: hit.file,
            lines: hit.hit_contexts.into_iter().flatten().map(|l| (l.line, plain(&l.text))).collect(),
        })
        .collect();
    Ok(Page { items, offset: start, total: code.count, next, note: None })
}

/// A hit line as the search module sends it (HTML: matches in `<em>`, entities escaped) as text.
fn plain(html: &str) -> String {
    html.replace("<em>", "")
        .replace("</em>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    #[test]
    fn hit_lines_lose_their_markup() {
        assert_eq!(super::plain("<em>fn</em> a() -&gt; &amp;str"), "fn a() -> &str");
    }
}
