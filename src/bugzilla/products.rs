//! The `bugzilla:products` tool set: products, their components and versions, and the legal
//! field values.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::params::name;
use super::render;
use crate::error::{Error, Result};
use crate::params::{self, Page};
use crate::render::slice_footer;
use crate::server::TrackerServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PageParams {
    #[serde(flatten)]
    pub page: Page,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetProductParams {
    /// Product name or id.
    pub product: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FieldValuesParams {
    /// One field only, e.g. "op_sys" or "cf_branch".
    pub field: Option<String>,
}

#[tool_router(router = bugzilla_products, vis = "pub(crate)")]
impl TrackerServer {
    /// Products this account can see, with descriptions. Use the name with bugzilla_get_product
    /// or as a search filter.
    #[tool(
        name = "bugzilla_list_products",
        annotations(
            title = "Bugzilla: list products",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_list_products(&self, Parameters(p): Parameters<PageParams>) -> Result<String> {
        let limit = params::limit(p.page.limit)?;
        let offset = params::cursor(p.page.cursor.as_ref())?;
        let products = self.bugzilla()?.products().await?;
        let mut out: Vec<String> =
            products.iter().skip(offset as usize).take(limit as usize).map(render::product_line).collect();
        let shown = out.len();
        if products.is_empty() {
            out.push("No product is visible to this account.".to_owned());
        }
        out.push(slice_footer(offset, shown, products.len()));
        Ok(out.join("\n"))
    }

    /// One product: components with default assignees, versions and milestones (what
    /// bugzilla_create_bug needs).
    #[tool(
        name = "bugzilla_get_product",
        annotations(
            title = "Bugzilla: get product",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_get_product(&self, Parameters(p): Parameters<GetProductParams>) -> Result<String> {
        let product = name("product", Some(&p.product))?.unwrap_or_default();
        Ok(render::product(&self.bugzilla()?.product(product).await?))
    }

    /// Legal field values: statuses with allowed transitions, resolutions, priorities,
    /// severities, platforms, OS, keywords, custom fields; or one field's values.
    #[tool(
        name = "bugzilla_get_field_values",
        annotations(
            title = "Bugzilla: field values",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn bugzilla_get_field_values(
        &self,
        Parameters(p): Parameters<FieldValuesParams>,
    ) -> Result<String> {
        let field = match p.field.as_deref() {
            None => None,
            Some(f) => Some(internal_field(params::segment("field", f.trim(), 64, false)?)),
        };
        let fields = self.bugzilla()?.fields(field).await?;
        if fields.is_empty() {
            return Err(Error::NotFound("no such field, or it is not visible to this account".into()));
        }
        Ok(render::fields(&fields, field))
    }
}

/// The internal name `/rest/field/bug/<name>` wants.
fn internal_field(field: &str) -> &str {
    match field {
        "status" => "bug_status",
        "severity" => "bug_severity",
        "platform" | "hardware" => "rep_platform",
        "os" => "op_sys",
        "summary" => "short_desc",
        "whiteboard" => "status_whiteboard",
        "url" => "bug_file_loc",
        other => other,
    }
}
