//! Bugzilla's REST endpoints as data (method and path, relative to the configured base URL).
//! Every request of the client is built from one of these.

use reqwest::Method;

use crate::http::Endpoint;

/// `GET /rest/version`
pub const VERSION: Endpoint = Endpoint::new(Method::GET, "rest/version");
/// `GET /rest/whoami` (5.3.3+; 5.0/5.2 answer code 32614)
pub const WHOAMI: Endpoint = Endpoint::new(Method::GET, "rest/whoami");
/// `GET /rest/valid_login?login=…` (5.0/5.2: needs the key in the query)
pub const VALID_LOGIN: Endpoint = Endpoint::new(Method::GET, "rest/valid_login");
/// `GET /rest/user?match=…` (also the key-mode probe)
pub const USERS: Endpoint = Endpoint::new(Method::GET, "rest/user");

/// `GET /rest/bug?…` (search)
pub const BUGS: Endpoint = Endpoint::new(Method::GET, "rest/bug");
/// `GET /rest/bug/{id}` (id or alias)
pub const BUG: Endpoint = Endpoint::new(Method::GET, "rest/bug/{id}");
/// `GET /rest/bug/{id}/comment`
pub const COMMENTS: Endpoint = Endpoint::new(Method::GET, "rest/bug/{id}/comment");
/// `GET /rest/bug/{id}/history`
pub const HISTORY: Endpoint = Endpoint::new(Method::GET, "rest/bug/{id}/history");
/// `GET /rest/bug/{id}/attachment`
pub const ATTACHMENTS: Endpoint = Endpoint::new(Method::GET, "rest/bug/{id}/attachment");
/// `GET /rest/bug/attachment/{attachment_id}`
pub const ATTACHMENT: Endpoint = Endpoint::new(Method::GET, "rest/bug/attachment/{attachment_id}");

/// `GET /rest/product?…`
pub const PRODUCTS: Endpoint = Endpoint::new(Method::GET, "rest/product");
/// `GET /rest/field/bug`
pub const FIELDS: Endpoint = Endpoint::new(Method::GET, "rest/field/bug");
/// `GET /rest/field/bug/{name}`
pub const FIELD: Endpoint = Endpoint::new(Method::GET, "rest/field/bug/{name}");

/// `POST /rest/bug`
pub const CREATE_BUG: Endpoint = Endpoint::new(Method::POST, "rest/bug");
/// `PUT /rest/bug/{id}`
pub const UPDATE_BUG: Endpoint = Endpoint::new(Method::PUT, "rest/bug/{id}");
/// `POST /rest/bug/{id}/comment`
pub const ADD_COMMENT: Endpoint = Endpoint::new(Method::POST, "rest/bug/{id}/comment");
/// `POST /rest/bug/{id}/attachment`
pub const ADD_ATTACHMENT: Endpoint = Endpoint::new(Method::POST, "rest/bug/{id}/attachment");
