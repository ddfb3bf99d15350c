//! The REST endpoints the client calls, as data: method, path template (the vendor spec's
//! `paths` key) and the query parameters a request may carry, one inventory per flavour.
//! Every request is built from one; a test checks each one against the vendor's OpenAPI
//! description in `tests/specs/`.

use reqwest::Method;
use serde_json::Value;

use crate::config::Flavor;
use crate::http::Request;

// ---------------------------------------------------------------------------------------------
// Endpoint inventory

/// One endpoint as the vendor's OpenAPI description names it: method, path template (the
/// spec's `paths` key) and the query parameters the client may send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub query: &'static [&'static str],
}

impl Endpoint {
    #[must_use]
    pub const fn new(method: Method, path: &'static str, query: &'static [&'static str]) -> Self {
        Self { method, path, query }
    }

    /// The request for this endpoint, `{params}` filled in order with `args` (each one path
    /// segment, so percent-encoded; a `{param}.diff` part keeps its suffix; a `{path}` is
    /// split into one segment per component). Cloud paths get
    /// the `2.0` prefix, Data Center's `<area>/latest` becomes `rest/<area>/1.0`.
    #[must_use]
    pub fn call(&self, flavor: Flavor, args: &[&str]) -> Call {
        let mut segments: Vec<String> = Vec::new();
        let mut parts = self.path.split('/').filter(|p| !p.is_empty()).peekable();
        match flavor {
            Flavor::Cloud => segments.push("2.0".into()),
            Flavor::DataCenter => {
                let area = parts.next().unwrap_or_default();
                parts.next(); // "latest"
                segments.extend(["rest".to_owned(), area.to_owned(), "1.0".to_owned()]);
            }
        }
        let mut args = args.iter();
        for part in parts {
            if let Some(start) = part.find('{') {
                let end = part.find('}').unwrap_or(part.len() - 1);
                let value = args.next().copied().unwrap_or_default();
                debug_assert!(!value.is_empty(), "{}: missing argument for {part}", self.path);
                if part == "{path}" {
                    // A file path: one segment per component, as the vendors' URLs have it.
                    segments.extend(value.split('/').filter(|s| !s.is_empty()).map(str::to_owned));
                } else {
                    segments.push(format!("{}{value}{}", &part[..start], &part[end + 1..]));
                }
            } else {
                segments.push(part.to_owned());
            }
        }
        debug_assert!(args.next().is_none(), "{}: too many arguments", self.path);
        let request = request_for(&self.method, segments);
        Call { path: self.path, allowed: self.query, request, body: None }
    }
}

/// The request of `method` (`GET`, `POST`, `PUT` or `DELETE`, the ones the inventories use;
/// a test checks every endpoint's request carries its method).
fn request_for(method: &Method, segments: Vec<String>) -> Request {
    if *method == Method::POST {
        Request::post(segments)
    } else if *method == Method::PUT {
        Request::put(segments)
    } else if *method == Method::DELETE {
        Request::delete(segments)
    } else {
        debug_assert_eq!(*method, Method::GET, "no request constructor for {method}");
        Request::get(segments)
    }
}

/// A request under construction, tied to its endpoint so that only inventoried query
/// parameters can be added.
#[derive(Debug, Clone)]
pub struct Call {
    /// The endpoint's path template and inventoried query parameters.
    pub path: &'static str,
    pub allowed: &'static [&'static str],
    pub request: Request,
    pub body: Option<Value>,
}

impl Call {
    #[must_use]
    pub fn query(mut self, key: &'static str, value: impl ToString) -> Self {
        debug_assert!(
            self.allowed.contains(&key),
            "query parameter {key} is not in the inventory of {}",
            self.path
        );
        self.request = self.request.query(key, value);
        self
    }

    #[must_use]
    pub fn query_opt(self, key: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    #[must_use]
    pub fn json(mut self, body: Value) -> Self {
        self.request = self.request.json(body.clone());
        self.body = Some(body);
        self
    }

    #[must_use]
    pub fn accept(mut self, accept: &'static str) -> Self {
        self.request = self.request.accept(accept);
        self
    }
}

pub mod cloud;
pub mod datacenter;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use url::Url;

    use super::*;
    use crate::bitbucket::client::TRACKER;
    use crate::config::HttpSettings;
    use crate::http::{Auth, HttpClient};

    fn spec(name: &str) -> Value {
        let path = format!("{}/tests/specs/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("spec file")).expect("spec JSON")
    }

    /// The Data Center spec with the fragment of what it leaves out (code search, the compare
    /// diff's paths as Data Center serves them), merged as the mock's `start` merges it.
    fn datacenter_spec() -> Value {
        let mut doc = spec("bitbucket-datacenter.openapi.json");
        let extra = spec("bitbucket-datacenter-extra.openapi.json");
        for (section, key) in [("paths", None), ("components", Some("schemas"))] {
            let from = match key {
                Some(k) => &extra[section][k],
                None => &extra[section],
            };
            let into = match key {
                Some(k) => &mut doc[section][k],
                None => &mut doc[section],
            };
            for (name, item) in from.as_object().into_iter().flatten() {
                into[name] = item.clone();
            }
        }
        doc
    }

    /// Every request the client can send (method, path template, query parameters) exists
    /// in the vendor's OpenAPI description.
    fn check_inventory(spec: &Value, endpoints: &[Endpoint], global_query: &[&str]) {
        let mut seen = BTreeSet::new();
        for ep in endpoints {
            assert!(seen.insert((ep.method.as_str(), ep.path)), "{} {} listed twice", ep.method, ep.path);
            let item = &spec["paths"][ep.path];
            assert!(item.is_object(), "{} is not a path of the spec", ep.path);
            let op = &item[ep.method.as_str().to_ascii_lowercase()];
            assert!(op.is_object(), "{} {} is not an operation of the spec", ep.method, ep.path);
            let mut params: BTreeSet<String> = BTreeSet::new();
            for list in [&item["parameters"], &op["parameters"]] {
                for p in list.as_array().into_iter().flatten() {
                    let p = match p["$ref"].as_str() {
                        Some(r) => spec.pointer(r.trim_start_matches('#')).cloned().unwrap_or_default(),
                        None => p.clone(),
                    };
                    if p["in"] == "query" {
                        params.insert(p["name"].as_str().unwrap_or_default().to_owned());
                    }
                }
            }
            let description = op["description"].as_str().unwrap_or_default();
            for q in ep.query {
                // A parameter the operation's own description documents (`?path=...`) counts.
                let documented =
                    description.contains(&format!("?{q}=")) || description.contains(&format!("&{q}="));
                assert!(
                    params.contains(*q) || global_query.contains(q) || documented,
                    "{} {}: query parameter {q} is not in the spec (has {params:?})",
                    ep.method,
                    ep.path
                );
            }
        }
    }

    /// How many `Endpoint::new` the flavour's module file has (the inventory lists each one).
    fn count_defined(flavour: &str) -> usize {
        let source = match flavour {
            "cloud" => include_str!("endpoints/cloud.rs"),
            _ => include_str!("endpoints/datacenter.rs"),
        };
        source.matches("Endpoint::new(").count()
    }

    #[test]
    fn cloud_endpoints_exist_in_the_cloud_spec() {
        // Cloud documents paging (`page`, `pagelen`) and filtering/sorting (`q`, `sort`) for
        // every paginated list, whether or not the operation lists them.
        check_inventory(
            &spec("bitbucket-cloud.openapi.json"),
            cloud::ENDPOINTS,
            &["page", "pagelen", "q", "sort"],
        );
        assert_eq!(count_defined("cloud"), cloud::ENDPOINTS.len(), "cloud::ENDPOINTS is incomplete");
    }

    #[test]
    fn datacenter_endpoints_exist_in_the_datacenter_spec() {
        check_inventory(&datacenter_spec(), datacenter::ENDPOINTS, &[]);
        assert_eq!(
            count_defined("datacenter"),
            datacenter::ENDPOINTS.len(),
            "datacenter::ENDPOINTS is incomplete"
        );
    }

    #[test]
    fn the_inventory_check_catches_a_typo() {
        let bad = [Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/pullrequest", &[])];
        let result = std::panic::catch_unwind(|| {
            check_inventory(&spec("bitbucket-cloud.openapi.json"), &bad, &[]);
        });
        assert!(result.is_err());
        let bad =
            [Endpoint::new(Method::GET, "/repositories/{workspace}/{repo_slug}/pullrequests", &["stat"])];
        let result = std::panic::catch_unwind(|| {
            check_inventory(&spec("bitbucket-cloud.openapi.json"), &bad, &[]);
        });
        assert!(result.is_err());
    }

    #[test]
    #[should_panic(expected = "not in the inventory")]
    fn a_query_parameter_outside_the_inventory_is_refused() {
        let _ = cloud::PRS.call(Flavor::Cloud, &["ws", "repo"]).query("stat", "OPEN");
    }

    #[test]
    fn requests_carry_the_endpoint_method() {
        for (flavor, endpoints) in
            [(Flavor::Cloud, cloud::ENDPOINTS), (Flavor::DataCenter, datacenter::ENDPOINTS)]
        {
            for ep in endpoints {
                let args = vec!["x"; ep.path.matches('{').count()];
                assert_eq!(ep.call(flavor, &args).request.method(), &ep.method, "{}", ep.path);
            }
        }
    }

    #[test]
    fn paths_are_built_from_templates() {
        let call = datacenter::PR_DIFF.call(Flavor::DataCenter, &["PRJ", "my repo", "7"]);
        let client = HttpClient::new(
            TRACKER,
            Url::parse("https://git.example.com/bb").expect("url"),
            Auth::None,
            &HttpSettings::default(),
        )
        .expect("client");
        let url = client.url_for(&call.request).expect("url");
        assert_eq!(url.path(), "/bb/rest/api/1.0/projects/PRJ/repos/my%20repo/pull-requests/7.diff");
        let call = cloud::PR.call(Flavor::Cloud, &["ws", "repo", "3"]);
        assert_eq!(
            client.url_for(&call.request).expect("url").path(),
            "/bb/2.0/repositories/ws/repo/pullrequests/3"
        );
    }
}
