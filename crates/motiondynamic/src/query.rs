//! A typed builder for PostgREST reads: `select` with embedded resources,
//! `eq`/`in` filters, `order`, `limit` and `offset`.
//!
//! ```
//! use motionkit_motiondynamic::{Order, Select, ThemeColumn, ThemesQuery};
//!
//! let query = ThemesQuery::new()
//!     .select(Select::columns([ThemeColumn::ThemeId, ThemeColumn::Title]).embed_all(ThemeColumn::Parameters))
//!     .eq(ThemeColumn::ThemeId, "8239de5c-5cbd-4e39-a102-220e5354a551")
//!     .order(ThemeColumn::Title, Order::Asc)
//!     .limit(10);
//! assert_eq!(
//!     query.to_pairs(),
//!     vec![
//!         ("select", "theme_id,title,parameters(*)".to_owned()),
//!         ("theme_id", "eq.8239de5c-5cbd-4e39-a102-220e5354a551".to_owned()),
//!         ("order", "title.asc".to_owned()),
//!         ("limit", "10".to_owned()),
//!     ]
//! );
//! ```

use std::fmt::Write as _;
use std::marker::PhantomData;

use motionkit_models::motiondynamic::endpoints;
use motionkit_models::{Endpoint, PathError, Request};

/// A column of a PostgREST table.
pub trait Column: Copy {
    /// The endpoint that reads the column's table.
    const READ: &'static Endpoint;
    /// Name on the wire.
    fn name(self) -> &'static str;
}

/// Columns of `themes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeColumn {
    /// `theme_id`
    ThemeId,
    /// `title`
    Title,
    /// `description`
    Description,
    /// `parameters`, an embedded resource.
    Parameters,
}

impl Column for ThemeColumn {
    const READ: &'static Endpoint = &endpoints::LIST_THEMES;
    fn name(self) -> &'static str {
        match self {
            ThemeColumn::ThemeId => "theme_id",
            ThemeColumn::Title => "title",
            ThemeColumn::Description => "description",
            ThemeColumn::Parameters => "parameters",
        }
    }
}

/// Columns of `generations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationColumn {
    /// `generation_id`
    GenerationId,
    /// `theme_id`
    ThemeId,
    /// `webhook`
    Webhook,
    /// `values`
    Values,
    /// `status`
    Status,
    /// `video`
    Video,
    /// `created_at`
    CreatedAt,
}

impl Column for GenerationColumn {
    const READ: &'static Endpoint = &endpoints::LIST_GENERATIONS;
    fn name(self) -> &'static str {
        match self {
            GenerationColumn::GenerationId => "generation_id",
            GenerationColumn::ThemeId => "theme_id",
            GenerationColumn::Webhook => "webhook",
            GenerationColumn::Values => "values",
            GenerationColumn::Status => "status",
            GenerationColumn::Video => "video",
            GenerationColumn::CreatedAt => "created_at",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    All,
    Column(&'static str),
    Embed(&'static str, Vec<String>),
}

/// A `select` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Select<C> {
    items: Vec<Item>,
    _table: PhantomData<C>,
}

impl<C: Column> Select<C> {
    /// `*`
    pub fn all() -> Self {
        Select {
            items: vec![Item::All],
            _table: PhantomData,
        }
    }

    /// The given columns.
    pub fn columns(columns: impl IntoIterator<Item = C>) -> Self {
        Select {
            items: columns
                .into_iter()
                .map(|c| Item::Column(c.name()))
                .collect(),
            _table: PhantomData,
        }
    }

    /// Adds a column.
    pub fn column(mut self, column: C) -> Self {
        self.items.push(Item::Column(column.name()));
        self
    }

    /// Adds an embedded resource with every field: `relation(*)`.
    pub fn embed_all(mut self, relation: C) -> Self {
        self.items
            .push(Item::Embed(relation.name(), vec!["*".into()]));
        self
    }

    /// Adds an embedded resource with some fields: `relation(a,b)`.
    pub fn embed<S: Into<String>>(
        mut self,
        relation: C,
        fields: impl IntoIterator<Item = S>,
    ) -> Self {
        let fields: Vec<String> = fields.into_iter().map(Into::into).collect();
        self.items.push(Item::Embed(relation.name(), fields));
        self
    }

    /// The PostgREST text, for example `theme_id,parameters(*)`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match item {
                Item::All => out.push('*'),
                Item::Column(name) => out.push_str(name),
                Item::Embed(name, fields) => {
                    let _ = write!(out, "{name}({})", fields.join(","));
                }
            }
        }
        out
    }
}

impl Select<ThemeColumn> {
    /// The document's select: `theme_id,title,description,parameters`.
    pub fn documented() -> Self {
        Select::columns([
            ThemeColumn::ThemeId,
            ThemeColumn::Title,
            ThemeColumn::Description,
            ThemeColumn::Parameters,
        ])
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// A read of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query<C> {
    select: Option<Select<C>>,
    filters: Vec<(&'static str, String)>,
    order: Vec<(&'static str, Order)>,
    limit: Option<u64>,
    offset: Option<u64>,
}

/// A read of `themes`.
pub type ThemesQuery = Query<ThemeColumn>;
/// A read of `generations`.
pub type GenerationsQuery = Query<GenerationColumn>;

/// Quotes a value for an `in.(...)` list when it holds a reserved character.
fn list_value(value: &str) -> String {
    if value.contains([',', '(', ')', '"', '\\', ' ']) {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    } else {
        value.to_owned()
    }
}

impl<C: Column> Default for Query<C> {
    fn default() -> Self {
        Query {
            select: None,
            filters: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
        }
    }
}

impl<C: Column> Query<C> {
    /// Every row, every column.
    pub fn new() -> Self {
        Self::default()
    }

    /// What to return.
    pub fn select(mut self, select: Select<C>) -> Self {
        self.select = Some(select);
        self
    }

    /// True when a `select` was given.
    pub fn has_select(&self) -> bool {
        self.select.is_some()
    }

    /// `column=eq.value`
    pub fn eq(mut self, column: C, value: impl AsRef<str>) -> Self {
        self.filters
            .push((column.name(), format!("eq.{}", value.as_ref())));
        self
    }

    /// `column=in.(a,b)`
    pub fn in_<S: AsRef<str>>(mut self, column: C, values: impl IntoIterator<Item = S>) -> Self {
        let list: Vec<String> = values.into_iter().map(|v| list_value(v.as_ref())).collect();
        self.filters
            .push((column.name(), format!("in.({})", list.join(","))));
        self
    }

    /// Adds a sort key.
    pub fn order(mut self, column: C, order: Order) -> Self {
        self.order.push((column.name(), order));
        self
    }

    /// At most this many rows.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Skip this many rows.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// The query string pairs, in a fixed order.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(select) = &self.select {
            pairs.push(("select", select.render()));
        }
        for (column, filter) in &self.filters {
            pairs.push((*column, filter.clone()));
        }
        if !self.order.is_empty() {
            let order: Vec<String> = self
                .order
                .iter()
                .map(|(c, o)| {
                    format!(
                        "{c}.{}",
                        match o {
                            Order::Asc => "asc",
                            Order::Desc => "desc",
                        }
                    )
                })
                .collect();
            pairs.push(("order", order.join(",")));
        }
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        if let Some(offset) = self.offset {
            pairs.push(("offset", offset.to_string()));
        }
        pairs
    }
}

/// A query is the request that reads its table.
impl<C: Column> Request for Query<C> {
    fn endpoint(&self) -> &Endpoint {
        C::READ
    }

    fn path(&self) -> Result<String, PathError> {
        C::READ.fill_path(&[])
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        self.to_pairs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_documents_select() {
        let select = Select::documented();
        assert_eq!(select.render(), "theme_id,title,description,parameters");
        assert_eq!(
            Select::<ThemeColumn>::all()
                .embed(ThemeColumn::Parameters, ["type", "parameter"])
                .render(),
            "*,parameters(type,parameter)"
        );
    }

    #[test]
    fn in_lists_quote_reserved_characters() {
        let query = GenerationsQuery::new()
            .in_(
                GenerationColumn::Webhook,
                ["http://a/x", "http://b/y,z", "q\"uote"],
            )
            .order(GenerationColumn::CreatedAt, Order::Desc)
            .offset(20);
        assert_eq!(
            query.to_pairs(),
            vec![
                (
                    "webhook",
                    r#"in.(http://a/x,"http://b/y,z","q\"uote")"#.to_owned()
                ),
                ("order", "created_at.desc".to_owned()),
                ("offset", "20".to_owned()),
            ]
        );
    }
}
