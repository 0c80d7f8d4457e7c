//! Spec review: what an edit of the spec changes for clients already deployed, and for Rust users.
//!
//! [`review_specs`] compares two specs structurally, from each operation down through every schema it
//! reaches. A change is judged by where the schema travels: in a request, a client generated from the
//! old spec must still be accepted by a server that follows the new one; in a response, that client
//! must still read what the server sends. "Breaking" means it would not (or would lose data).
//! [`rust_api_changes`] generates the client from both specs and compares their public items, for
//! crates that depend on this one. [`Review::to_markdown`] writes the report for a pull request.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;

use openapiv3::{
    AdditionalProperties, OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr,
    Schema, SchemaKind, Type,
};

use crate::CodegenError;
use crate::model::ref_name;

/// How much a change matters to clients already deployed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// A client generated from the old spec fails, or loses data, against a server that follows the new one.
    Breaking,
    /// Something is now deprecated: it still works.
    Deprecation,
    /// A change that deployed clients take in their stride.
    NonBreaking,
    /// Descriptions, summaries, examples, notes.
    Docs,
}

impl Class {
    fn label(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::Deprecation => "deprecation",
            Class::NonBreaking => "non-breaking",
            Class::Docs => "docs",
        }
    }
}

/// One difference between the two specs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub class: Class,
    /// The operation (`POST /path (operationId)`) or schema (`schema Name (in responses)`).
    pub location: String,
    /// The field path inside it (`body.types[]`, `query metric_name`, `results[].cost`), or empty.
    pub path: String,
    pub old: String,
    pub new: String,
    /// Why it is in its class.
    pub note: String,
}

/// Where a schema travels: it decides what breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ctx {
    Request,
    Response,
}

impl Ctx {
    fn label(self) -> &'static str {
        match self {
            Ctx::Request => "in requests",
            Ctx::Response => "in responses",
        }
    }
}

/// A change to the public Rust API of the generated client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RustApiChange {
    /// `added`, `removed` or `changed`.
    pub kind: &'static str,
    /// The item, e.g. `types::CostReportDetailedRequest` or `Client::get_usage_report`.
    pub item: String,
    /// Whether crates that use the item may stop compiling.
    pub major: bool,
}

/// Everything the review found.
#[derive(Clone, Debug, Default)]
pub struct Review {
    pub base_label: String,
    pub head_label: String,
    pub base_version: String,
    pub head_version: String,
    pub changes: Vec<Change>,
    /// None when the Rust API was not compared.
    pub rust_api: Option<Vec<RustApiChange>>,
    /// What the reader should know about how the specs were compared (e.g. cyclic schemas).
    pub notes: Vec<String>,
}

impl Review {
    /// True when at least one change breaks deployed clients.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(|c| c.class == Class::Breaking)
    }

    /// True when `info.version`'s major number (the part before the first dot) went up.
    pub fn major_version_went_up(&self) -> bool {
        let major = |v: &str| {
            v.split('.')
                .next()
                .and_then(|m| m.trim().parse::<u64>().ok())
        };
        matches!((major(&self.base_version), major(&self.head_version)), (Some(a), Some(b)) if b > a)
    }

    /// True when crates depending on the generated API may stop compiling.
    pub fn rust_semver_major(&self) -> bool {
        self.rust_api
            .as_ref()
            .is_some_and(|changes| changes.iter().any(|c| c.major))
    }

    /// 1 when a change breaks deployed clients, 0 otherwise.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.is_breaking())
    }

    /// The report, in Markdown, ready to paste into a pull request.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "## Spec review: `{}` → `{}`\n",
            self.base_label, self.head_label
        );
        let count = |class: Class| self.changes.iter().filter(|c| c.class == class).count();
        if self.changes.is_empty() {
            let _ = writeln!(
                out,
                "**No changes.** The two specs describe the same API.\n"
            );
        } else {
            let breaking = count(Class::Breaking);
            let verdict = if breaking == 0 {
                "**No breaking changes.**".to_string()
            } else {
                format!(
                    "**{breaking} breaking change{}**: clients generated from the base spec fail or \
                     lose data against a server that follows the head spec.",
                    if breaking == 1 { "" } else { "s" }
                )
            };
            let _ = writeln!(
                out,
                "{verdict} {} non-breaking, {} deprecation{}, {} documentation change{}.\n",
                count(Class::NonBreaking),
                count(Class::Deprecation),
                if count(Class::Deprecation) == 1 {
                    ""
                } else {
                    "s"
                },
                count(Class::Docs),
                if count(Class::Docs) == 1 { "" } else { "s" },
            );
        }
        let _ = write!(
            out,
            "`info.version`: {} → {}",
            self.base_version, self.head_version
        );
        if self.is_breaking() {
            if self.major_version_went_up() {
                let _ = write!(
                    out,
                    " (major number went up, as a breaking change requires)"
                );
            } else {
                let _ = write!(out, " (**a breaking change requires a new major number**)");
            }
        }
        out.push_str("\n\n");
        for note in &self.notes {
            let _ = writeln!(out, "> Note: {note}\n");
        }
        if !self.changes.is_empty() {
            out.push_str(
                "| Class | Where | Field | Old | New | Why |\n|---|---|---|---|---|---|\n",
            );
            for c in &self.changes {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    c.class.label(),
                    cell(&c.location),
                    cell(&c.path),
                    cell(&c.old),
                    cell(&c.new),
                    cell(&c.note)
                );
            }
            out.push('\n');
        }
        if let Some(rust) = &self.rust_api {
            out.push_str("### Rust API (`gcore_billing::generated`)\n\n");
            if rust.is_empty() {
                out.push_str("No public item added, removed or changed.\n");
            } else {
                let _ = writeln!(
                    out,
                    "Semver: **{}** for crates depending on this one ({} added, {} removed, {} changed).\n",
                    if self.rust_semver_major() {
                        "major"
                    } else {
                        "minor"
                    },
                    rust.iter().filter(|c| c.kind == "added").count(),
                    rust.iter().filter(|c| c.kind == "removed").count(),
                    rust.iter().filter(|c| c.kind == "changed").count(),
                );
                const SHOWN: usize = 60;
                for c in rust.iter().take(SHOWN) {
                    let impact = if c.major { "major" } else { "minor" };
                    let _ = writeln!(out, "- {} `{}` ({impact})", c.kind, c.item);
                }
                if rust.len() > SHOWN {
                    let _ = writeln!(out, "- … and {} more", rust.len() - SHOWN);
                }
            }
        }
        out
    }
}

/// A table cell: one line, pipes escaped, at most 120 characters.
fn cell(text: &str) -> String {
    let one_line = text.replace('\n', " ").replace('|', "\\|");
    if one_line.chars().count() > 120 {
        let cut: String = one_line.chars().take(117).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

/// Compares two specs (wire level only; see [`rust_api_changes`] for the Rust side).
pub fn review_specs(base: &OpenAPI, head: &OpenAPI) -> Review {
    let mut differ = Differ {
        old: base,
        new: head,
        changes: Vec::new(),
        seen: HashSet::new(),
    };
    differ.info();
    differ.operations();
    let mut changes = differ.changes;
    changes.sort();
    changes.dedup();
    let mut notes = Vec::new();
    for (side, spec) in [("base", base), ("head", head)] {
        for cycle in reference_cycles(spec) {
            notes.push(format!(
                "the {side} spec's schemas refer to themselves ({}); a schema in a cycle is \
                 compared once per context, where the review first reaches it, and its changes \
                 are classed there",
                cycle.join(" → ")
            ));
        }
    }
    Review {
        base_version: base.info.version.clone(),
        head_version: head.info.version.clone(),
        changes,
        notes,
        ..Review::default()
    }
}

/// Each named schema that reaches itself through `$ref`s, with one such path (`A → B → A`),
/// once per cycle (a cycle is reported from its alphabetically first member).
pub fn reference_cycles(spec: &OpenAPI) -> Vec<Vec<String>> {
    let Some(components) = spec.components.as_ref() else {
        return Vec::new();
    };
    let edges: BTreeMap<&str, BTreeSet<String>> = components
        .schemas
        .iter()
        .map(|(name, schema)| {
            let mut refs = BTreeSet::new();
            if let Ok(value) = serde_json::to_value(schema) {
                collect_schema_refs(&value, &mut refs);
            }
            (name.as_str(), refs)
        })
        .collect();
    let mut cycles: Vec<Vec<String>> = Vec::new();
    for start in edges.keys() {
        // Breadth first from `start`, remembering how each name was reached.
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([*start]);
        let mut closing = None;
        while let Some(name) = queue.pop_front() {
            for next in edges.get(name).into_iter().flatten() {
                if next == start {
                    closing = Some(name);
                    break;
                }
                if let Some((key, _)) = edges.get_key_value(next.as_str())
                    && !came_from.contains_key(key)
                {
                    came_from.insert(key, name);
                    queue.push_back(key);
                }
            }
            if closing.is_some() {
                break;
            }
        }
        let Some(mut at) = closing else { continue };
        // Walk back from the name that closes the cycle, then read the walk forwards.
        let mut path = vec![start.to_string()];
        while at != *start {
            path.push(at.to_string());
            at = came_from[at];
        }
        path.push(start.to_string());
        path.reverse();
        let members: BTreeSet<&String> = path.iter().collect();
        let first = members.iter().next().map(|m| m.as_str());
        if first == Some(*start) {
            cycles.push(path);
        }
    }
    cycles
}

/// The schema names that `$ref`s inside `value` point at.
fn collect_schema_refs(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(reference)) = map.get("$ref")
                && let Some(name) = ref_name(reference)
            {
                out.insert(name.to_string());
            }
            map.values()
                .for_each(|inner| collect_schema_refs(inner, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_schema_refs(i, out)),
        _ => {}
    }
}

struct Differ<'a> {
    old: &'a OpenAPI,
    new: &'a OpenAPI,
    changes: Vec<Change>,
    /// (old schema name, new schema name, context) pairs already compared.
    seen: HashSet<(String, String, Ctx)>,
}

/// Where in the spec a comparison is.
#[derive(Clone)]
struct Loc {
    location: String,
    path: String,
}

impl Loc {
    fn field(&self, name: &str) -> Loc {
        let path = if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        };
        Loc {
            location: self.location.clone(),
            path,
        }
    }

    fn items(&self) -> Loc {
        Loc {
            location: self.location.clone(),
            path: format!("{}[]", self.path),
        }
    }
}

fn short(text: &str) -> String {
    let one_line = text.trim().replace('\n', " ");
    if one_line.chars().count() > 60 {
        format!("{}…", one_line.chars().take(57).collect::<String>())
    } else {
        one_line
    }
}

fn show<T: std::fmt::Debug>(value: &Option<T>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "none".into(),
    }
}

fn all_operations(spec: &OpenAPI) -> BTreeMap<(String, String), &Operation> {
    let mut ops = BTreeMap::new();
    for (path, item) in &spec.paths.paths {
        let Some(item) = item.as_item() else { continue };
        for (method, op) in item.iter() {
            ops.insert((method.to_uppercase(), path.clone()), op);
        }
    }
    ops
}

impl Differ<'_> {
    fn push(&mut self, class: Class, loc: &Loc, old: String, new: String, note: &str) {
        self.changes.push(Change {
            class,
            location: loc.location.clone(),
            path: loc.path.clone(),
            old,
            new,
            note: note.to_string(),
        });
    }

    fn info(&mut self) {
        let loc = Loc {
            location: "info".into(),
            path: String::new(),
        };
        let (old, new) = (&self.old.info, &self.new.info);
        if old.version != new.version {
            let loc = loc.field("version");
            self.push(
                Class::Docs,
                &loc,
                old.version.clone(),
                new.version.clone(),
                "spec version",
            );
        }
        if old.description != new.description || old.title != new.title {
            self.push(
                Class::Docs,
                &loc.field("description"),
                short(old.description.as_deref().unwrap_or("")),
                short(new.description.as_deref().unwrap_or("")),
                "wording only",
            );
        }
    }

    fn operations(&mut self) {
        let old_ops = all_operations(self.old);
        let new_ops = all_operations(self.new);
        for ((method, path), op) in &old_ops {
            let label = op_label(method, path, op);
            let loc = Loc {
                location: label,
                path: String::new(),
            };
            match new_ops.get(&(method.clone(), path.clone())) {
                None => self.push(
                    Class::Breaking,
                    &loc,
                    "present".into(),
                    "removed".into(),
                    "deployed clients still call it",
                ),
                Some(new_op) => self.operation(&loc, op, new_op),
            }
        }
        for ((method, path), op) in &new_ops {
            if !old_ops.contains_key(&(method.clone(), path.clone())) {
                let loc = Loc {
                    location: op_label(method, path, op),
                    path: String::new(),
                };
                self.push(
                    Class::NonBreaking,
                    &loc,
                    "absent".into(),
                    "added".into(),
                    "new operation",
                );
            }
        }
    }

    fn operation(&mut self, loc: &Loc, old: &Operation, new: &Operation) {
        if old.operation_id != new.operation_id {
            self.push(
                Class::NonBreaking,
                &loc.field("operationId"),
                show(&old.operation_id),
                show(&new.operation_id),
                "the wire is unchanged; generated method names change",
            );
        }
        if old.summary != new.summary || old.description != new.description {
            self.push(
                Class::Docs,
                &loc.field("description"),
                short(old.summary.as_deref().unwrap_or("")),
                short(new.summary.as_deref().unwrap_or("")),
                "wording only",
            );
        }
        if !old.deprecated && new.deprecated {
            self.push(
                Class::Deprecation,
                loc,
                "current".into(),
                "deprecated".into(),
                "still works; plan to move off it",
            );
        }
        self.extensions(loc, &old.extensions, &new.extensions);
        self.parameters(loc, &old.parameters, &new.parameters);
        self.request_body(loc, old, new);
        self.responses(loc, old, new);
    }

    fn extensions(
        &mut self,
        loc: &Loc,
        old: &indexmap::IndexMap<String, serde_json::Value>,
        new: &indexmap::IndexMap<String, serde_json::Value>,
    ) {
        let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for key in keys {
            let (o, n) = (old.get(key), new.get(key));
            if o == n {
                continue;
            }
            // The registry classes every extension the generator reads; any other is a note.
            let (class, note) = match crate::extensions::extension(key) {
                Some(extension) => extension.class_of_change(o, n),
                None => (Class::Docs, "an extension the generator does not read"),
            };
            let text =
                |v: Option<&serde_json::Value>| v.map_or("none".into(), |v| short(&v.to_string()));
            self.push(class, &loc.field(key), text(o), text(n), note);
        }
    }

    fn parameters(
        &mut self,
        loc: &Loc,
        old: &[ReferenceOr<Parameter>],
        new: &[ReferenceOr<Parameter>],
    ) {
        let index = |params: &'_ [ReferenceOr<Parameter>]| -> BTreeMap<String, Parameter> {
            params
                .iter()
                .filter_map(|p| p.as_item())
                .map(|p| {
                    let data = p.parameter_data_ref();
                    (format!("{} {}", location_of(p), data.name), p.clone())
                })
                .collect()
        };
        let (old, new) = (index(old), index(new));
        for (key, old_param) in &old {
            let here = loc.field(key);
            let od = old_param.parameter_data_ref();
            let Some(new_param) = new.get(key) else {
                self.push(
                    Class::Breaking,
                    &here,
                    "present".into(),
                    "removed".into(),
                    "deployed clients still send it",
                );
                continue;
            };
            let nd = new_param.parameter_data_ref();
            match (od.required, nd.required) {
                (false, true) => self.push(
                    Class::Breaking,
                    &here,
                    "optional".into(),
                    "required".into(),
                    "deployed clients may leave it out",
                ),
                (true, false) => self.push(
                    Class::NonBreaking,
                    &here,
                    "required".into(),
                    "optional".into(),
                    "looser",
                ),
                _ => {}
            }
            if !od.deprecated.unwrap_or(false) && nd.deprecated.unwrap_or(false) {
                self.push(
                    Class::Deprecation,
                    &here,
                    "current".into(),
                    "deprecated".into(),
                    "still accepted",
                );
            }
            if od.description != nd.description {
                self.push(
                    Class::Docs,
                    &here,
                    short(od.description.as_deref().unwrap_or("")),
                    short(nd.description.as_deref().unwrap_or("")),
                    "wording only",
                );
            }
            if let (ParameterSchemaOrContent::Schema(os), ParameterSchemaOrContent::Schema(ns)) =
                (&od.format, &nd.format)
            {
                self.schema(&here, os, ns, Ctx::Request);
            }
        }
        for (key, param) in &new {
            if !old.contains_key(key) {
                let required = param.parameter_data_ref().required;
                let (class, note) = if required {
                    (Class::Breaking, "deployed clients do not send it")
                } else {
                    (Class::NonBreaking, "optional")
                };
                self.push(
                    class,
                    &loc.field(key),
                    "absent".into(),
                    if required { "required" } else { "added" }.into(),
                    note,
                );
            }
        }
    }

    fn request_body(&mut self, loc: &Loc, old: &Operation, new: &Operation) {
        let body = |op: &Operation| op.request_body.as_ref().and_then(|b| b.as_item()).cloned();
        let here = loc.field("body");
        match (body(old), body(new)) {
            (None, None) => {}
            (Some(_), None) => self.push(
                Class::Breaking,
                &here,
                "present".into(),
                "removed".into(),
                "deployed clients still send a body",
            ),
            (None, Some(b)) => self.push(
                if b.required {
                    Class::Breaking
                } else {
                    Class::NonBreaking
                },
                &here,
                "absent".into(),
                "added".into(),
                "deployed clients send none",
            ),
            (Some(o), Some(n)) => {
                if !o.required && n.required {
                    self.push(
                        Class::Breaking,
                        &here,
                        "optional".into(),
                        "required".into(),
                        "deployed clients may send none",
                    );
                }
                for (media, content) in &o.content {
                    match n.content.get(media) {
                        None => self.push(
                            Class::Breaking,
                            &here,
                            media.clone(),
                            "removed".into(),
                            "deployed clients send this media type",
                        ),
                        Some(nc) => {
                            if let (Some(os), Some(ns)) = (&content.schema, &nc.schema) {
                                self.schema(&here, os, ns, Ctx::Request);
                            }
                        }
                    }
                }
            }
        }
    }

    fn responses(&mut self, loc: &Loc, old: &Operation, new: &Operation) {
        for (status, response) in &old.responses.responses {
            let Some(response) = response.as_item() else {
                continue;
            };
            let code = status.to_string();
            let success = code.starts_with('2');
            let here = loc.field(&format!("response {code}"));
            let Some(new_response) = new
                .responses
                .responses
                .get(status)
                .and_then(|r| r.as_item())
            else {
                let class = if success {
                    Class::Breaking
                } else {
                    Class::NonBreaking
                };
                self.push(
                    class,
                    &here,
                    "present".into(),
                    "removed".into(),
                    "a status deployed clients expect",
                );
                continue;
            };
            for (media, content) in &response.content {
                match new_response.content.get(media) {
                    None => self.push(
                        if success {
                            Class::Breaking
                        } else {
                            Class::NonBreaking
                        },
                        &here,
                        media.clone(),
                        "removed".into(),
                        "deployed clients ask for this media type",
                    ),
                    Some(nc) => {
                        if let (Some(os), Some(ns)) = (&content.schema, &nc.schema) {
                            self.schema(&here, os, ns, Ctx::Response);
                        }
                    }
                }
            }
            for media in new_response.content.keys() {
                if !response.content.contains_key(media) {
                    self.push(
                        Class::NonBreaking,
                        &here,
                        "absent".into(),
                        media.clone(),
                        "new media type",
                    );
                }
            }
        }
    }

    /// Resolves a reference into the named component (name, schema).
    fn resolve<'s>(
        spec: &'s OpenAPI,
        schema: &'s ReferenceOr<Schema>,
    ) -> (Option<String>, Option<&'s Schema>) {
        match schema {
            ReferenceOr::Item(item) => (None, Some(item)),
            ReferenceOr::Reference { reference } => {
                let name = ref_name(reference).map(str::to_string);
                let found = name
                    .as_deref()
                    .and_then(|n| spec.components.as_ref()?.schemas.get(n)?.as_item());
                (name, found)
            }
        }
    }

    fn schema(
        &mut self,
        loc: &Loc,
        old: &ReferenceOr<Schema>,
        new: &ReferenceOr<Schema>,
        ctx: Ctx,
    ) {
        let (old_name, old_schema) = Self::resolve(self.old, old);
        let (new_name, new_schema) = Self::resolve(self.new, new);
        let (Some(old_schema), Some(new_schema)) = (old_schema, new_schema) else {
            return;
        };
        // A named schema is compared once per context, and its changes are reported at the schema.
        let loc = match (&old_name, &new_name) {
            (Some(o), Some(n)) => {
                if !self.seen.insert((o.clone(), n.clone(), ctx)) {
                    return;
                }
                let location = if o == n {
                    format!("schema {o} ({})", ctx.label())
                } else {
                    format!("schema {o} → {n} ({})", ctx.label())
                };
                Loc {
                    location,
                    path: String::new(),
                }
            }
            _ => loc.clone(),
        };
        self.schema_body(&loc, old_schema, new_schema, ctx);
    }

    fn schema_body(&mut self, loc: &Loc, old: &Schema, new: &Schema, ctx: Ctx) {
        let (od, nd) = (&old.schema_data, &new.schema_data);
        self.extensions(loc, &od.extensions, &nd.extensions);
        if od.description != nd.description || od.title != nd.title || od.example != nd.example {
            self.push(
                Class::Docs,
                loc,
                short(od.description.as_deref().unwrap_or("")),
                short(nd.description.as_deref().unwrap_or("")),
                "wording or example only",
            );
        }
        if !od.deprecated && nd.deprecated {
            self.push(
                Class::Deprecation,
                loc,
                "current".into(),
                "deprecated".into(),
                "still works",
            );
        }
        if od.default != nd.default {
            let text =
                |v: &Option<serde_json::Value>| v.as_ref().map_or("none".into(), |v| v.to_string());
            let (class, note) = match ctx {
                Ctx::Request => (
                    Class::NonBreaking,
                    "the server's behaviour changes when a request leaves it out",
                ),
                Ctx::Response => (Class::Docs, "documentation of a response default"),
            };
            self.push(
                class,
                &loc.field("default"),
                text(&od.default),
                text(&nd.default),
                note,
            );
        }
        match (od.nullable, nd.nullable, ctx) {
            (false, true, Ctx::Response) => self.push(
                Class::Breaking,
                loc,
                "not nullable".into(),
                "nullable".into(),
                "deployed clients reject null",
            ),
            (true, false, Ctx::Request) => self.push(
                Class::Breaking,
                loc,
                "nullable".into(),
                "not nullable".into(),
                "deployed clients may send null",
            ),
            (false, true, Ctx::Request) | (true, false, Ctx::Response) => self.push(
                Class::NonBreaking,
                loc,
                if od.nullable {
                    "nullable"
                } else {
                    "not nullable"
                }
                .into(),
                if nd.nullable {
                    "nullable"
                } else {
                    "not nullable"
                }
                .into(),
                "looser for deployed clients",
            ),
            _ => {}
        }
        if let (SchemaKind::OneOf { one_of: o }, SchemaKind::OneOf { one_of: n }) =
            (&old.schema_kind, &new.schema_kind)
        {
            let old_union = union_variants(self.old, od.discriminator.as_ref(), o);
            let new_union = union_variants(self.new, nd.discriminator.as_ref(), n);
            self.union(loc, old_union, new_union, ctx);
            return;
        }
        self.kind(loc, &old.schema_kind, &new.schema_kind, ctx);
    }

    fn kind(&mut self, loc: &Loc, old: &SchemaKind, new: &SchemaKind, ctx: Ctx) {
        match (old, new) {
            (SchemaKind::Type(o), SchemaKind::Type(n)) => self.typed(loc, o, n, ctx),
            (SchemaKind::AllOf { all_of: o }, SchemaKind::AllOf { all_of: n })
            | (SchemaKind::AnyOf { any_of: o }, SchemaKind::AnyOf { any_of: n }) => {
                if o.len() != n.len() {
                    self.push(
                        Class::Breaking,
                        loc,
                        format!("{} parts", o.len()),
                        format!("{} parts", n.len()),
                        "composition changed",
                    );
                }
                for (i, (a, b)) in o.iter().zip(n).enumerate() {
                    self.schema(&loc.field(&format!("[{i}]")), a, b, ctx);
                }
            }
            (SchemaKind::Any(o), SchemaKind::Any(n)) if o == n => {}
            (SchemaKind::Not { not: o }, SchemaKind::Not { not: n }) if o == n => {}
            _ => self.push(
                Class::Breaking,
                loc,
                kind_name(old),
                kind_name(new),
                "the value's type changed",
            ),
        }
    }

    fn typed(&mut self, loc: &Loc, old: &Type, new: &Type, ctx: Ctx) {
        match (old, new) {
            (Type::String(o), Type::String(n)) => {
                let fmt = |f: &openapiv3::VariantOrUnknownOrEmpty<openapiv3::StringFormat>| {
                    format!("{f:?}")
                };
                self.format_change(loc, fmt(&o.format), fmt(&n.format));
                let values =
                    |e: &[Option<String>]| -> Vec<String> { e.iter().flatten().cloned().collect() };
                self.enum_values(loc, &values(&o.enumeration), &values(&n.enumeration), ctx);
                if o.pattern != n.pattern {
                    self.constraint(
                        loc,
                        "pattern",
                        show(&o.pattern),
                        show(&n.pattern),
                        Tightness::from_presence(o.pattern.is_some(), n.pattern.is_some()),
                        ctx,
                    );
                }
                self.bound(
                    loc,
                    "minLength",
                    o.min_length,
                    n.min_length,
                    Side::Lower,
                    ctx,
                );
                self.bound(
                    loc,
                    "maxLength",
                    o.max_length,
                    n.max_length,
                    Side::Upper,
                    ctx,
                );
            }
            (Type::Integer(o), Type::Integer(n)) => {
                self.format_change(loc, format!("{:?}", o.format), format!("{:?}", n.format));
                let values = |e: &[Option<i64>]| -> Vec<String> {
                    e.iter().flatten().map(|v| v.to_string()).collect()
                };
                self.enum_values(loc, &values(&o.enumeration), &values(&n.enumeration), ctx);
                self.bound_i(
                    loc,
                    "minimum",
                    o.minimum,
                    n.minimum,
                    o.exclusive_minimum,
                    n.exclusive_minimum,
                    Side::Lower,
                    ctx,
                );
                self.bound_i(
                    loc,
                    "maximum",
                    o.maximum,
                    n.maximum,
                    o.exclusive_maximum,
                    n.exclusive_maximum,
                    Side::Upper,
                    ctx,
                );
            }
            (Type::Number(o), Type::Number(n)) => {
                self.number_format_change(loc, &o.format, &n.format);
                self.bound_f(loc, "minimum", o.minimum, n.minimum, Side::Lower, ctx);
                self.bound_f(loc, "maximum", o.maximum, n.maximum, Side::Upper, ctx);
            }
            (Type::Boolean(_), Type::Boolean(_)) => {}
            (Type::Array(o), Type::Array(n)) => {
                if let (Some(oi), Some(ni)) = (&o.items, &n.items) {
                    self.schema(&loc.items(), &oi.clone().unbox(), &ni.clone().unbox(), ctx);
                }
                self.bound(loc, "minItems", o.min_items, n.min_items, Side::Lower, ctx);
                self.bound(loc, "maxItems", o.max_items, n.max_items, Side::Upper, ctx);
                if !o.unique_items && n.unique_items {
                    self.constraint(
                        loc,
                        "uniqueItems",
                        "false".into(),
                        "true".into(),
                        Tightness::Tighter,
                        ctx,
                    );
                } else if o.unique_items && !n.unique_items {
                    self.constraint(
                        loc,
                        "uniqueItems",
                        "true".into(),
                        "false".into(),
                        Tightness::Looser,
                        ctx,
                    );
                }
            }
            (Type::Object(o), Type::Object(n)) => self.object(loc, o, n, ctx),
            _ => self.push(
                Class::Breaking,
                loc,
                type_name(old),
                type_name(new),
                "the value's type changed",
            ),
        }
    }

    /// A changed `format` breaks everywhere: the value no longer reads as the type it was.
    fn format_change(&mut self, loc: &Loc, old: String, new: String) {
        if old != new {
            self.push(
                Class::Breaking,
                &loc.field("format"),
                format_name(&old),
                format_name(&new),
                "the value's format changed",
            );
        }
    }

    /// A number's `format`: to `decimal` (from a float format or none) the JSON stays the same and
    /// is read exactly from then on, which deployed clients take in their stride (the Rust type
    /// changes: the Rust API section says so); from `decimal` back to a float loses digits.
    fn number_format_change(
        &mut self,
        loc: &Loc,
        old: &openapiv3::VariantOrUnknownOrEmpty<openapiv3::NumberFormat>,
        new: &openapiv3::VariantOrUnknownOrEmpty<openapiv3::NumberFormat>,
    ) {
        let decimal = |f: &openapiv3::VariantOrUnknownOrEmpty<openapiv3::NumberFormat>| {
            crate::model::is_decimal(f)
        };
        let (old_text, new_text) = (format!("{old:?}"), format!("{new:?}"));
        if old_text == new_text {
            return;
        }
        if !decimal(old) && decimal(new) {
            self.push(
                Class::NonBreaking,
                &loc.field("format"),
                format_name(&old_text),
                format_name(&new_text),
                "the same JSON number, now read exactly as a decimal",
            );
        } else if decimal(old) && !decimal(new) {
            self.push(
                Class::Breaking,
                &loc.field("format"),
                format_name(&old_text),
                format_name(&new_text),
                "read as a float again: digits past about 17 are lost",
            );
        } else {
            self.format_change(loc, old_text, new_text);
        }
    }

    fn object(
        &mut self,
        loc: &Loc,
        old: &openapiv3::ObjectType,
        new: &openapiv3::ObjectType,
        ctx: Ctx,
    ) {
        let old_required: BTreeSet<&String> = old.required.iter().collect();
        let new_required: BTreeSet<&String> = new.required.iter().collect();
        for (name, old_prop) in &old.properties {
            let here = loc.field(name);
            let was_required = old_required.contains(name);
            let Some(new_prop) = new.properties.get(name) else {
                let (class, note) = match (ctx, was_required) {
                    (Ctx::Request, _) => (Class::Breaking, "deployed clients may still send it"),
                    (Ctx::Response, true) => (Class::Breaking, "deployed clients require it"),
                    (Ctx::Response, false) => (Class::NonBreaking, "it was optional"),
                };
                self.push(class, &here, "present".into(), "removed".into(), note);
                continue;
            };
            let is_required = new_required.contains(name);
            match (ctx, was_required, is_required) {
                (Ctx::Request, false, true) => self.push(
                    Class::Breaking,
                    &here,
                    "optional".into(),
                    "required".into(),
                    "deployed clients may leave it out",
                ),
                (Ctx::Response, true, false) => self.push(
                    Class::Breaking,
                    &here,
                    "required".into(),
                    "optional".into(),
                    "deployed clients require it",
                ),
                (_, false, true) | (_, true, false) => self.push(
                    Class::NonBreaking,
                    &here,
                    if was_required { "required" } else { "optional" }.into(),
                    if is_required { "required" } else { "optional" }.into(),
                    "looser for deployed clients",
                ),
                _ => {}
            }
            self.schema(
                &here,
                &old_prop.clone().unbox(),
                &new_prop.clone().unbox(),
                ctx,
            );
        }
        for name in new.properties.keys() {
            if old.properties.contains_key(name) {
                continue;
            }
            let required = new_required.contains(name);
            let (class, note) = match (ctx, required) {
                (Ctx::Request, true) => (Class::Breaking, "deployed clients do not send it"),
                (Ctx::Request, false) => (Class::NonBreaking, "optional"),
                (Ctx::Response, _) => (
                    Class::NonBreaking,
                    "deployed clients ignore fields they do not know",
                ),
            };
            self.push(
                class,
                &loc.field(name),
                "absent".into(),
                if required { "required" } else { "added" }.into(),
                note,
            );
        }
        match (&old.additional_properties, &new.additional_properties) {
            (Some(AdditionalProperties::Schema(o)), Some(AdditionalProperties::Schema(n))) => {
                self.schema(&loc.field("*"), o.as_ref(), n.as_ref(), ctx)
            }
            (o, n) if o != n => self.push(
                Class::NonBreaking,
                &loc.field("additionalProperties"),
                format!("{o:?}"),
                format!("{n:?}"),
                "extra keys allowed differently",
            ),
            _ => {}
        }
    }

    fn union(&mut self, loc: &Loc, old: Variants, new: Variants, ctx: Ctx) {
        let ((old_map, old_open), (new_map, new_open)) = (old, new);
        for (tag, old_variant) in &old_map {
            let here = loc.field(&format!("[{tag}]"));
            match new_map.get(tag) {
                Some(new_variant) => self.schema(&here, old_variant, new_variant, ctx),
                None => {
                    let (class, note) = match (ctx, new_open) {
                        (Ctx::Response, true) => (
                            Class::NonBreaking,
                            "deployed clients still read it; clients generated from the new spec keep such rows as Unknown",
                        ),
                        (Ctx::Response, false) => (
                            Class::Breaking,
                            "a closed union: answers that still carry it fail to parse",
                        ),
                        (Ctx::Request, _) => {
                            (Class::Breaking, "deployed clients may still send it")
                        }
                    };
                    self.push(class, &here, "variant".into(), "removed".into(), note);
                }
            }
        }
        for tag in new_map.keys() {
            if !old_map.contains_key(tag) {
                let note = if old_open && ctx == Ctx::Response {
                    "deployed clients keep such rows as Unknown (open union)"
                } else if ctx == Ctx::Request {
                    "a new shape clients may send"
                } else {
                    "deployed clients cannot read it (closed union)"
                };
                let class = if ctx == Ctx::Response && !old_open {
                    Class::Breaking
                } else {
                    Class::NonBreaking
                };
                self.push(
                    class,
                    &loc.field(&format!("[{tag}]")),
                    "absent".into(),
                    "variant added".into(),
                    note,
                );
            }
        }
    }

    fn enum_values(&mut self, loc: &Loc, old: &[String], new: &[String], ctx: Ctx) {
        if old.is_empty() && new.is_empty() {
            return;
        }
        if old.is_empty() != new.is_empty() {
            let tightness = Tightness::from_presence(!old.is_empty(), !new.is_empty());
            self.constraint(loc, "enum", old.join(", "), new.join(", "), tightness, ctx);
            return;
        }
        for value in old.iter().filter(|v| !new.contains(v)) {
            let (class, note) = match ctx {
                Ctx::Request => (Class::Breaking, "deployed clients may still send it"),
                Ctx::Response => (Class::NonBreaking, "the server stops sending it"),
            };
            self.push(
                class,
                &loc.field("enum"),
                value.clone(),
                "removed".into(),
                note,
            );
        }
        for value in new.iter().filter(|v| !old.contains(v)) {
            let note = match ctx {
                Ctx::Request => "a new value clients may send",
                Ctx::Response => "deployed clients keep it as Unknown (open enum)",
            };
            self.push(
                Class::NonBreaking,
                &loc.field("enum"),
                "absent".into(),
                value.clone(),
                note,
            );
        }
    }

    fn constraint(
        &mut self,
        loc: &Loc,
        what: &str,
        old: String,
        new: String,
        tightness: Tightness,
        ctx: Ctx,
    ) {
        // Requests: a tighter rule rejects what deployed clients send. Responses: deployed clients
        // check the old rule (typify builds checked types), so a looser one sends them values they reject.
        let breaking = matches!(
            (ctx, tightness),
            (Ctx::Request, Tightness::Tighter | Tightness::Different)
                | (Ctx::Response, Tightness::Looser | Tightness::Different)
        );
        let note = match (breaking, ctx) {
            (true, Ctx::Request) => "tighter: deployed clients may send values now refused",
            (true, Ctx::Response) => "looser: deployed clients may refuse values now sent",
            (false, _) => "safe for deployed clients",
        };
        let class = if breaking {
            Class::Breaking
        } else {
            Class::NonBreaking
        };
        self.push(class, &loc.field(what), old, new, note);
    }

    fn bound(
        &mut self,
        loc: &Loc,
        what: &str,
        old: Option<usize>,
        new: Option<usize>,
        side: Side,
        ctx: Ctx,
    ) {
        if old != new {
            let tightness = side.compare(old.map(|v| v as f64), new.map(|v| v as f64));
            self.constraint(loc, what, show(&old), show(&new), tightness, ctx);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn bound_i(
        &mut self,
        loc: &Loc,
        what: &str,
        old: Option<i64>,
        new: Option<i64>,
        old_exclusive: bool,
        new_exclusive: bool,
        side: Side,
        ctx: Ctx,
    ) {
        // An exclusive bound b is the inclusive bound b ± 1 for integers.
        let effective = |v: Option<i64>, exclusive: bool| {
            v.map(|v| match (exclusive, side) {
                (true, Side::Lower) => v.saturating_add(1),
                (true, Side::Upper) => v.saturating_sub(1),
                (false, _) => v,
            })
        };
        let (o, n) = (effective(old, old_exclusive), effective(new, new_exclusive));
        if o != n {
            // A spec's bound: exact as f64 below 2^53, which is all a comparison needs.
            let tightness = side.compare(o.map(|v| v as f64), n.map(|v| v as f64));
            self.constraint(loc, what, show(&old), show(&new), tightness, ctx);
        }
    }

    fn bound_f(
        &mut self,
        loc: &Loc,
        what: &str,
        old: Option<f64>,
        new: Option<f64>,
        side: Side,
        ctx: Ctx,
    ) {
        if old != new {
            self.constraint(
                loc,
                what,
                show(&old),
                show(&new),
                side.compare(old, new),
                ctx,
            );
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tightness {
    Tighter,
    Looser,
    Different,
}

impl Tightness {
    /// A rule that appears is tighter; one that goes away is looser; one that changes may be either.
    fn from_presence(old: bool, new: bool) -> Tightness {
        match (old, new) {
            (false, true) => Tightness::Tighter,
            (true, false) => Tightness::Looser,
            _ => Tightness::Different,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Lower,
    Upper,
}

impl Side {
    fn compare(self, old: Option<f64>, new: Option<f64>) -> Tightness {
        match (old, new) {
            (None, Some(_)) => Tightness::Tighter,
            (Some(_), None) => Tightness::Looser,
            (Some(o), Some(n)) => {
                let raised = n > o;
                match (self, raised) {
                    (Side::Lower, true) | (Side::Upper, false) => Tightness::Tighter,
                    _ => Tightness::Looser,
                }
            }
            (None, None) => Tightness::Different,
        }
    }
}

/// A union's variants by key, and whether it is open (keeps unknown variants).
type Variants = (BTreeMap<String, ReferenceOr<Schema>>, bool);

/// The variants of a `oneOf`, keyed by discriminator tag (the mapping's key, or the variant's fixed
/// `type` value) or else by schema name. A union with a discriminator is open: the generator gives it
/// an `Unknown` variant.
fn union_variants(
    spec: &OpenAPI,
    discriminator: Option<&openapiv3::Discriminator>,
    one_of: &[ReferenceOr<Schema>],
) -> Variants {
    let mapped: BTreeMap<&str, &str> = discriminator
        .map(|d| {
            d.mapping
                .iter()
                .map(|(tag, reference)| (reference.as_str(), tag.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let mut map = BTreeMap::new();
    for (i, variant) in one_of.iter().enumerate() {
        let key = match variant {
            ReferenceOr::Reference { reference } => {
                let name = ref_name(reference).unwrap_or(reference);
                match mapped.get(reference.as_str()) {
                    Some(tag) => tag.to_string(),
                    None => tag_of(spec, name).unwrap_or_else(|| name.to_string()),
                }
            }
            ReferenceOr::Item(_) => format!("#{i}"),
        };
        map.insert(key, variant.clone());
    }
    (map, discriminator.is_some())
}

/// The single value of a variant schema's `type` enum, which is its discriminator tag here.
fn tag_of(spec: &OpenAPI, name: &str) -> Option<String> {
    let schema = spec.components.as_ref()?.schemas.get(name)?.as_item()?;
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return None;
    };
    let tag = object.properties.get("type")?.as_item()?;
    let SchemaKind::Type(Type::String(s)) = &tag.schema_kind else {
        return None;
    };
    match s.enumeration.as_slice() {
        [Some(value)] => Some(value.clone()),
        _ => None,
    }
}

fn location_of(p: &Parameter) -> &'static str {
    match p {
        Parameter::Query { .. } => "query",
        Parameter::Header { .. } => "header",
        Parameter::Path { .. } => "path",
        Parameter::Cookie { .. } => "cookie",
    }
}

fn op_label(method: &str, path: &str, op: &Operation) -> String {
    match &op.operation_id {
        Some(id) => format!("{method} {path} ({id})"),
        None => format!("{method} {path}"),
    }
}

fn kind_name(kind: &SchemaKind) -> String {
    match kind {
        SchemaKind::Type(t) => type_name(t),
        SchemaKind::OneOf { .. } => "oneOf".into(),
        SchemaKind::AllOf { .. } => "allOf".into(),
        SchemaKind::AnyOf { .. } => "anyOf".into(),
        SchemaKind::Not { .. } => "not".into(),
        SchemaKind::Any(_) => "any".into(),
    }
}

fn type_name(t: &Type) -> String {
    match t {
        Type::String(_) => "string",
        Type::Number(_) => "number",
        Type::Integer(_) => "integer",
        Type::Object(_) => "object",
        Type::Array(_) => "array",
        Type::Boolean(_) => "boolean",
    }
    .into()
}

/// `Item(DateTime)` → `date-time`, `Empty` → `none`, `Unknown("x")` → `x`.
fn format_name(debug: &str) -> String {
    if debug == "Empty" {
        return "none".into();
    }
    let inner = debug
        .trim_start_matches("Item(")
        .trim_start_matches("Unknown(")
        .trim_end_matches(')')
        .trim_matches('"');
    let mut out = String::new();
    for (i, c) in inner.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The public items of two generated sources, compared: what crates depending on the client see.
pub fn rust_api_changes(
    old_source: &str,
    new_source: &str,
) -> Result<Vec<RustApiChange>, CodegenError> {
    let old = public_items(old_source)?;
    let new = public_items(new_source)?;
    let mut changes = Vec::new();
    for (item, old_api) in &old {
        match new.get(item) {
            None => changes.push(RustApiChange {
                kind: "removed",
                item: item.clone(),
                major: true,
            }),
            Some(new_api) if new_api != old_api => changes.push(RustApiChange {
                kind: "changed",
                item: item.clone(),
                major: !old_api.grows_compatibly_into(new_api),
            }),
            Some(_) => {}
        }
    }
    for item in new.keys() {
        if !old.contains_key(item) {
            changes.push(RustApiChange {
                kind: "added",
                item: item.clone(),
                major: false,
            });
        }
    }
    Ok(changes)
}

/// What a public item offers: its members (fields, variants, or its signature as one member), and
/// whether it is `#[non_exhaustive]`.
#[derive(Debug, PartialEq, Eq)]
struct Api {
    members: Vec<String>,
    non_exhaustive: bool,
}

impl Api {
    /// Adding members to a `#[non_exhaustive]` struct or enum breaks nobody; anything else that
    /// changes may break a user's struct literal, exhaustive `match` or call.
    fn grows_compatibly_into(&self, new: &Api) -> bool {
        self.non_exhaustive
            && new.non_exhaustive
            && self.members.iter().all(|m| new.members.contains(m))
    }
}

fn public_items(source: &str) -> Result<BTreeMap<String, Api>, CodegenError> {
    let file: syn::File =
        syn::parse_str(source).map_err(|e| CodegenError::Syntax(e.to_string()))?;
    let mut items = BTreeMap::new();
    collect_items(&file.items, "", &mut items);
    Ok(items)
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn tokens(item: &impl quote::ToTokens) -> String {
    let mut text = quote::quote!(#item).to_string();
    text.retain(|c| c != '\n');
    text
}

fn non_exhaustive(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("non_exhaustive"))
}

fn collect_items(items: &[syn::Item], prefix: &str, out: &mut BTreeMap<String, Api>) {
    for item in items {
        match item {
            syn::Item::Mod(m) if is_pub(&m.vis) => {
                if let Some((_, inner)) = &m.content {
                    collect_items(inner, &format!("{prefix}{}::", m.ident), out);
                }
            }
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                let members = s
                    .fields
                    .iter()
                    .filter(|f| is_pub(&f.vis))
                    .map(|f| {
                        let ty = &f.ty;
                        format!(
                            "{}: {}",
                            f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default(),
                            tokens(ty)
                        )
                    })
                    .collect();
                out.insert(
                    format!("{prefix}{}", s.ident),
                    Api {
                        members,
                        non_exhaustive: non_exhaustive(&s.attrs),
                    },
                );
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                let members = e
                    .variants
                    .iter()
                    .map(|v| {
                        let fields = &v.fields;
                        format!("{}{}", v.ident, strip_docs(&tokens(fields)))
                    })
                    .collect();
                out.insert(
                    format!("{prefix}{}", e.ident),
                    Api {
                        members,
                        non_exhaustive: non_exhaustive(&e.attrs),
                    },
                );
            }
            syn::Item::Fn(f) if is_pub(&f.vis) => {
                out.insert(format!("{prefix}{}", f.sig.ident), signature(&f.sig));
            }
            syn::Item::Impl(block) => {
                let self_ty = tokens(&block.self_ty).replace(' ', "");
                if let Some((trait_path, _)) = &block.trait_ {
                    let name = tokens(trait_path).replace(' ', "");
                    out.insert(
                        format!("{prefix}impl {name} for {self_ty}"),
                        Api {
                            members: Vec::new(),
                            non_exhaustive: false,
                        },
                    );
                    continue;
                }
                for inner in &block.items {
                    if let syn::ImplItem::Fn(f) = inner
                        && is_pub(&f.vis)
                    {
                        out.insert(
                            format!("{prefix}{self_ty}::{}", f.sig.ident),
                            signature(&f.sig),
                        );
                    }
                }
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                let ty = &t.ty;
                out.insert(
                    format!("{prefix}{}", t.ident),
                    Api {
                        members: vec![tokens(ty)],
                        non_exhaustive: false,
                    },
                );
            }
            syn::Item::Const(c) if is_pub(&c.vis) => {
                let ty = &c.ty;
                out.insert(
                    format!("{prefix}{}", c.ident),
                    Api {
                        members: vec![tokens(ty)],
                        non_exhaustive: false,
                    },
                );
            }
            syn::Item::Trait(t) if is_pub(&t.vis) => {
                let members = t.items.iter().map(tokens).map(|s| strip_docs(&s)).collect();
                out.insert(
                    format!("{prefix}{}", t.ident),
                    Api {
                        members,
                        non_exhaustive: false,
                    },
                );
            }
            _ => {}
        }
    }
}

fn signature(sig: &syn::Signature) -> Api {
    Api {
        members: vec![tokens(sig)],
        non_exhaustive: false,
    }
}

/// Drops `# [doc = "..."]` attributes from a token string (doc changes are not API changes).
fn strip_docs(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("# [doc =") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        match after.find("\"]") {
            Some(end) => rest = &after[end + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}
