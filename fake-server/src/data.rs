//! The fake server's data: rows made on demand from (seed, index), shaped by the spec's variant schemas.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Map, Value, json};

const REGIONS: [u64; 4] = [1, 4, 18, 76];
/// What `GET /cloud/v1/regions` lists (names made up; the IDs are the reports'): the regions the
/// data uses, and one the reports never name.
const LISTED_REGIONS: [(u64, &str, &str, &str); 5] = [
    (1, "Luxembourg", "LU", "EMEA"),
    (4, "Frankfurt", "DE", "EMEA"),
    (18, "Amsterdam", "NL", "EMEA"),
    (76, "Luxembourg-2", "LU", "EMEA"),
    (100, "Santa Clara", "US", "AMERICAS"),
];

/// The name of a region of the demo data.
fn region_name(region: u64) -> String {
    LISTED_REGIONS
        .iter()
        .find(|(id, ..)| *id == region)
        .map_or_else(
            || format!("Region {region}"),
            |(_, name, ..)| name.to_string(),
        )
}
const FLAVORS: [&str; 4] = [
    "g1-standard-2-4",
    "g1-standard-4-8",
    "bm1-hf-medium",
    "bm3-ai-1xlarge-h100-80-8",
];
const DETAILED_CSV_COLUMNS: [&str; 12] = [
    "type",
    "uuid",
    "last_name",
    "project_id",
    "region_id",
    "billing_metric_name",
    "billing_value",
    "billing_value_unit",
    "cost",
    "currency",
    "first_seen",
    "last_seen",
];
const TOTALS_CSV_COLUMNS: [&str; 7] = [
    "type",
    "region_id",
    "billing_metric_name",
    "billing_value",
    "billing_value_unit",
    "cost",
    "currency",
];

/// One variant schema: its property names (with their schemas) and its fixed unit.
#[derive(Clone, Debug)]
struct Variant {
    properties: Vec<(String, Value)>,
    unit: Option<String>,
}

/// Variant schemas of one union, by `type`.
type Union = BTreeMap<String, Variant>;

/// The rows the server answers from.
pub struct Dataset {
    resources: usize,
    seed: u64,
    /// Resources per fleet: consecutive resources identical but for their ID and name.
    fleet: usize,
    /// `price_status` of every answer.
    price_status: String,
    types: Vec<String>,
    detailed: Union,
    totals: Union,
    usage_resources: Union,
    usage_totals: Union,
}

/// The cheap attributes of resource `i`, which filters look at.
#[derive(Clone, Copy, Debug)]
struct Attrs {
    index: usize,
    hash: u64,
    type_index: usize,
    region: u64,
    project: u64,
    tags: u8,
    priced: bool,
    billing_value: f64,
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn tags_json(kind: u8) -> Value {
    match kind {
        0 => Value::Null,
        1 => json!([{"env": "prod"}, {"os_version": "22.04"}]),
        _ => json!([{"env": "dev"}, {"os_version": "24.04"}]),
    }
}

fn load_union(spec: &Value, name: &str) -> Result<Union, String> {
    let schemas = &spec["components"]["schemas"];
    let mapping = schemas[name]["discriminator"]["mapping"]
        .as_object()
        .ok_or_else(|| format!("schema {name} has no discriminator mapping"))?;
    let mut union = Union::new();
    for (tag, target) in mapping {
        let variant_name = target
            .as_str()
            .and_then(|t| t.rsplit('/').next())
            .unwrap_or_default();
        let variant = &schemas[variant_name];
        let properties = variant["properties"]
            .as_object()
            .ok_or_else(|| format!("schema {variant_name} has no properties"))?
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let unit = variant["x-gcore-billing-value-unit"]
            .as_str()
            .map(str::to_string);
        union.insert(tag.clone(), Variant { properties, unit });
    }
    Ok(union)
}

/// The flavor of a resource (`% 4` indexes an array of 4).
fn flavor(a: &Attrs) -> &'static str {
    FLAVORS[((a.hash >> 48) % 4) as usize]
}

/// The cost a detailed row shows for a billing value.
fn row_cost(billing_value: f64) -> f64 {
    round5(billing_value * 0.0123)
}

/// A value with at most 5 decimals, in units of 10^-5 (exact: such a value times 10^5 is within
/// half a unit of an integer, far below 2^53).
fn hundred_thousandths(x: f64) -> i64 {
    // `as` saturates; costs here are far below i64::MAX / 10^5.
    (x * 100_000.0).round() as i64
}

fn round5(x: f64) -> f64 {
    (x * 100_000.0).round() / 100_000.0
}

fn csv_field(out: &mut String, value: &Value) {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n']) {
        let _ = write!(out, "\"{}\"", text.replace('"', "\"\""));
    } else {
        out.push_str(&text);
    }
}

fn csv_response(columns: &[&str], rows: impl Iterator<Item = Map<String, Value>>) -> Response {
    let mut out = columns.join(",");
    out.push('\n');
    for row in rows {
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, row.get(*column).unwrap_or(&Value::Null));
        }
        out.push('\n');
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        out,
    )
        .into_response()
}

fn u64_list(body: &Value, key: &str) -> Option<Vec<u64>> {
    body.get(key)?
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
}

/// The request's filters: types, regions, projects and tag conditions; absent or empty lists pass all.
struct Filter<'a> {
    types: Option<Vec<&'a str>>,
    regions: Option<Vec<u64>>,
    projects: Option<Vec<u64>>,
    tags: Option<&'a Value>,
}

impl<'a> Filter<'a> {
    fn from_body(body: &'a Value) -> Self {
        let nonempty_u64 = |key| u64_list(body, key).filter(|l| !l.is_empty());
        Filter {
            types: body
                .get("types")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
                .filter(|l| !l.is_empty()),
            regions: nonempty_u64("regions"),
            projects: nonempty_u64("projects"),
            tags: body.get("tags").filter(|t| !t.is_null()),
        }
    }

    fn is_open(&self) -> bool {
        self.types.is_none()
            && self.regions.is_none()
            && self.projects.is_none()
            && self.tags.is_none()
    }

    fn accepts(&self, kind: &str, a: &Attrs) -> bool {
        self.types.as_ref().is_none_or(|t| t.contains(&kind))
            && self.regions.as_ref().is_none_or(|r| r.contains(&a.region))
            && self
                .projects
                .as_ref()
                .is_none_or(|p| p.contains(&a.project))
            && self.tags.is_none_or(|t| tags_match(t, &tags_json(a.tags)))
    }
}

/// `offset` and how many rows to return (`limit`, capped at the server's page maximum).
fn page_window(body: &Value, max_page: usize) -> Result<(usize, usize), String> {
    let limit = body
        .get("limit")
        .map_or(Some(10), Value::as_u64)
        .ok_or("limit must be a positive integer")?;
    let offset = body
        .get("offset")
        .map_or(Some(0), Value::as_u64)
        .ok_or("offset must be 0 or more")?;
    if limit == 0 {
        return Err("limit must be at least 1".into());
    }
    let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Ok((to_usize(offset), to_usize(limit).min(max_page)))
}

/// The period a report covers: rows show resources seen inside it.
#[derive(Clone, Copy, Debug)]
struct Period {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl Period {
    /// August 2024, the period of rows served without a request (`detailed_rows`).
    fn august_2024() -> Self {
        Self {
            from: Utc.with_ymd_and_hms(2024, 8, 1, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2024, 9, 1, 0, 0, 0).unwrap(),
        }
    }

    /// The calendar month `YYYY-MM`.
    fn month(year_month: &str) -> Option<Self> {
        let (year, month) = year_month.split_once('-')?;
        let (year, month): (i32, u32) = (year.parse().ok()?, month.parse().ok()?);
        if year_month.len() != 7 {
            return None;
        }
        let from = Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single()?;
        let (next_year, next_month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        let to = Utc
            .with_ymd_and_hms(next_year, next_month, 1, 0, 0, 0)
            .single()?;
        Some(Self { from, to })
    }

    /// When resource `hash` was first and last seen: a day of the period picked by the hash, for
    /// up to two days, never outside the period.
    fn seen(&self, hash: u64) -> (String, String) {
        let days = (self.to - self.from).num_days().max(1) as u64;
        let first =
            (self.from + TimeDelta::days(((hash >> 52) % days) as i64) + TimeDelta::seconds(30))
                .min(self.to);
        let last = (first + TimeDelta::days(2) - TimeDelta::seconds(60))
            .min(self.to - TimeDelta::seconds(30))
            .max(first);
        let text = |at: DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        (text(first), text(last))
    }
}

/// The request's `time_from` and `time_to`, which must be RFC 3339 times, `time_to` after `time_from`.
fn time_window(body: &Value) -> Result<Period, String> {
    let at = |name: &str| -> Result<DateTime<Utc>, String> {
        let text = body
            .get(name)
            .and_then(Value::as_str)
            .ok_or(format!("{name} is required"))?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("{name} {text:?} is not an RFC 3339 time: {e}"))
    };
    let (from, to) = (at("time_from")?, at("time_to")?);
    if to <= from {
        return Err(format!("time_to {to} must be after time_from {from}"));
    }
    Ok(Period { from, to })
}

/// The spec the server was built with, compiled in: an installed binary needs no checkout.
pub const SPEC: &str = include_str!("../openapi/gcore-billing.yaml");

impl Dataset {
    /// Reads the variant schemas from the spec file at `spec_path`.
    pub fn load(spec_path: &Path, resources: usize, seed: u64) -> Result<Self, String> {
        let text = std::fs::read_to_string(spec_path)
            .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
        Self::from_spec(&text, resources, seed).map_err(|e| format!("{}: {e}", spec_path.display()))
    }

    /// Reads the variant schemas from the compiled-in spec ([`SPEC`]).
    pub fn embedded(resources: usize, seed: u64) -> Result<Self, String> {
        Self::from_spec(SPEC, resources, seed)
    }

    /// Resources come in fleets of `size`: each run of `size` consecutive resources shares every
    /// field but its ID (`uuid`), its name and the fields made from its index, as a fleet of
    /// same-flavor machines that ran the same days does. 1 (the default) makes every resource
    /// different.
    pub fn with_fleets(mut self, size: usize) -> Self {
        self.fleet = size.max(1);
        self
    }

    /// Every answer says `price_status: status` (`show`, `hide` or `error`).
    pub fn with_price_status(mut self, status: &str) -> Self {
        self.price_status = status.to_string();
        self
    }

    /// Reads the variant schemas from the spec's YAML text.
    pub fn from_spec(text: &str, resources: usize, seed: u64) -> Result<Self, String> {
        let spec: Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        let detailed = load_union(&spec, "CostReportResource")?;
        Ok(Self {
            resources,
            seed,
            fleet: 1,
            price_status: "show".to_string(),
            types: detailed.keys().cloned().collect(),
            detailed,
            totals: load_union(&spec, "CostReportTotal")?,
            usage_resources: load_union(&spec, "UsageReportResource")?,
            usage_totals: load_union(&spec, "UsageReportTotal")?,
        })
    }

    /// Whether a resource's flavor is one that reservations are made for (bare metal, `bm*`).
    fn is_reserved(&self, a: &Attrs) -> bool {
        flavor(a).starts_with("bm")
    }

    /// Resource types the data contains.
    pub fn types(&self) -> &[String] {
        &self.types
    }

    fn attrs(&self, index: usize) -> Attrs {
        // Casts below: usize <-> u64 of an index, and `hash % n` values far below any type's range.
        // A fleet's members share the hash of its first member: every field made from it.
        let leader = index - index % self.fleet;
        let hash = splitmix(self.seed ^ (leader as u64).wrapping_mul(0x1000_0000_01b3));
        Attrs {
            index,
            hash,
            type_index: (hash % self.types.len() as u64) as usize,
            region: REGIONS[((hash >> 8) % 4) as usize],
            project: 1 + (hash >> 16) % 5,
            tags: ((hash >> 24) % 3) as u8,
            priced: !(hash >> 32).is_multiple_of(20),
            billing_value: ((hash >> 40) % 100_000) as f64 / 10.0,
        }
    }

    /// The resources that pass the request's filters, in order.
    fn matching(&self, body: &Value) -> Vec<Attrs> {
        let filter = Filter::from_body(body);
        (0..self.resources)
            .map(|i| self.attrs(i))
            .filter(|a| filter.accepts(&self.types[a.type_index], a))
            .collect()
    }

    /// One page of the resources that pass the filters, and how many pass in all. Without filters
    /// the page is computed from its offset alone, so paging through a million resources stays linear.
    fn matching_page(&self, body: &Value, max_page: usize) -> Result<(usize, Vec<Attrs>), String> {
        let (offset, take) = page_window(body, max_page)?;
        let filter = Filter::from_body(body);
        if filter.is_open() {
            let end = offset.saturating_add(take).min(self.resources);
            let page = (offset.min(end)..end).map(|i| self.attrs(i)).collect();
            return Ok((self.resources, page));
        }
        let all = self.matching(body);
        let page = all.iter().skip(offset).take(take).cloned().collect();
        Ok((all.len(), page))
    }

    fn row(
        &self,
        union: &Union,
        a: &Attrs,
        period: &Period,
        sums: Option<(f64, Option<f64>)>,
    ) -> Option<Map<String, Value>> {
        let kind = &self.types[a.type_index];
        let variant = union.get(kind)?;
        let flavor = flavor(a);
        let unit = variant
            .unit
            .clone()
            .unwrap_or_else(|| "minutes".to_string());
        let (billing_value, cost) =
            sums.unwrap_or((a.billing_value, a.priced.then(|| row_cost(a.billing_value))));
        let (first_seen, last_seen) = period.seen(a.hash);
        let mut row = Map::new();
        for (name, schema) in &variant.properties {
            let value = match name.as_str() {
                "type" => json!(kind),
                "uuid" => json!(format!(
                    "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                    a.hash >> 32,
                    (a.hash >> 16) & 0xffff,
                    a.hash & 0xfff,
                    (a.hash >> 4) & 0xfff,
                    a.index
                )),
                "project_id" => json!(a.project),
                "region" | "region_id" => json!(a.region),
                "billing_value" => json!(billing_value),
                "billing_value_unit" => json!(unit),
                "billing_metric_name" => json!(format!("{flavor}_{kind}")),
                "billing_feature_name" => {
                    cost.map_or(Value::Null, |_| json!(format!("{kind} {flavor} - PAYG")))
                }
                "cost" => cost.map_or(Value::Null, |c| json!(c)),
                "currency" => cost.map_or(Value::Null, |_| json!("EUR")),
                "err" => cost.map_or(json!("price not found"), |_| Value::Null),
                "first_seen" => json!(first_seen),
                "last_seen" => json!(last_seen),
                "tags" => tags_json(a.tags),
                "flavor" => json!(flavor),
                "last_name" => json!(format!("{kind}-{}", a.index)),
                "last_size" => json!(1 + (a.hash % 1000) * 1_073_741_824),
                "size_unit" => schema.get("example").cloned().unwrap_or(json!("bytes")),
                "instance_type" => json!(["vm", "router", "baremetal"][(a.hash % 3) as usize]),
                "instance_name" | "attached_to_vm" => {
                    if a.hash.is_multiple_of(4) {
                        Value::Null
                    } else {
                        json!(format!("vm-{}", a.index))
                    }
                }
                "ip_address" => json!(format!("203.0.113.{}", a.index % 250)),
                "volume_type" => json!("standard"),
                "file_share_type" => json!("standard"),
                other => match schema.get("type").and_then(Value::as_str) {
                    Some("integer") => json!(a.index),
                    Some("number") => json!(billing_value),
                    _ => json!(format!("{other}-{}", a.index)),
                },
            };
            row.insert(name.clone(), value);
        }
        Some(row)
    }

    /// `POST /cloud/v1/cost_report/resources`.
    pub fn detailed(&self, body: &Value, max_page: usize) -> Result<Response, String> {
        let period = time_window(body)?;
        match body
            .get("response_format")
            .and_then(Value::as_str)
            .unwrap_or("json")
        {
            "csv_records" => Ok(csv_response(
                &DETAILED_CSV_COLUMNS,
                self.matching(body)
                    .iter()
                    .filter_map(|a| self.row(&self.detailed, a, &period, None)),
            )),
            "json" => {
                let (count, page) = self.matching_page(body, max_page)?;
                let results = self.rows(&self.detailed, &page, &period);
                Ok(axum::Json(
                    json!({"count": count, "price_status": self.price_status, "results": results}),
                )
                .into_response())
            }
            other => Err(format!(
                "response_format {other:?} is not one of csv_records, json"
            )),
        }
    }

    /// Rows `offset..offset + limit` of the unfiltered detailed report for August 2024, as JSON
    /// objects: for tests that serve pages of their own making (hostile or broken servers).
    pub fn detailed_rows(&self, offset: usize, limit: usize) -> Vec<Value> {
        let end = offset.saturating_add(limit).min(self.resources);
        let page: Vec<Attrs> = (offset.min(end)..end).map(|i| self.attrs(i)).collect();
        self.rows(&self.detailed, &page, &Period::august_2024())
    }

    fn rows(&self, union: &Union, page: &[Attrs], period: &Period) -> Vec<Value> {
        page.iter()
            .filter_map(|a| self.row(union, a, period, None))
            .map(Value::Object)
            .collect()
    }

    fn sum_rows(
        &self,
        union: &Union,
        matching: &[Attrs],
        period: &Period,
        priced: bool,
    ) -> Vec<Map<String, Value>> {
        // A total is the exact sum of the costs its rows show (each rounded to 5 decimals), kept in
        // units of 10^-5 so that no float error creeps into the sum.
        let mut groups: BTreeMap<(usize, u64), (Attrs, f64, Option<i64>)> = BTreeMap::new();
        for a in matching {
            let entry = groups
                .entry((a.type_index, a.region))
                .or_insert((*a, 0.0, None));
            entry.1 += a.billing_value;
            if a.priced {
                entry.2 =
                    Some(entry.2.unwrap_or(0) + hundred_thousandths(row_cost(a.billing_value)));
            }
        }
        groups
            .values()
            .filter_map(|(a, value, cost)| {
                let cost = if priced {
                    cost.map(|units| units as f64 / 100_000.0)
                } else {
                    None
                };
                self.row(union, a, period, Some((round5(*value), cost)))
            })
            .collect()
    }

    /// `POST /cloud/v1/cost_report/totals` and `/cloud/v1/reservation_cost_report/totals`.
    pub fn totals(&self, body: &Value, monthly: bool) -> Result<Response, String> {
        let period = match body.get("year_month").and_then(Value::as_str) {
            Some(ym) if monthly => {
                Period::month(ym).ok_or_else(|| format!("year_month {ym:?} is not YYYY-MM"))?
            }
            _ => time_window(body)?,
        };
        let mut matching = self.matching(body);
        if monthly {
            // Reservations are for bare metal: the monthly reservation report totals the rows of
            // the reserved flavors only.
            matching.retain(|a| self.is_reserved(a));
        }
        let rows = self.sum_rows(&self.totals, &matching, &period, true);
        match body
            .get("response_format")
            .and_then(Value::as_str)
            .unwrap_or("json")
        {
            "csv_totals" => Ok(csv_response(&TOTALS_CSV_COLUMNS, rows.into_iter())),
            "json" => Ok(axum::Json(
                json!({"count": rows.len(), "price_status": self.price_status, "results": rows}),
            )
            .into_response()),
            other => Err(format!(
                "response_format {other:?} is not one of csv_totals, json"
            )),
        }
    }

    /// `POST /cloud/v1/usage_report`.
    pub fn usage(&self, body: &Value, max_page: usize) -> Result<Response, String> {
        let period = time_window(body)?;
        let matching = self.matching(body);
        let (offset, take) = page_window(body, max_page)?;
        let page: Vec<Attrs> = matching.iter().skip(offset).take(take).cloned().collect();
        let resources = self.rows(&self.usage_resources, &page, &period);
        let totals = self.sum_rows(&self.usage_totals, &matching, &period, false);
        Ok(
            axum::Json(json!({"count": matching.len(), "resources": resources, "totals": totals}))
                .into_response(),
        )
    }
}

fn tags_match(filter: &Value, tags: &Value) -> bool {
    let conditions = filter
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let all = filter.get("condition_type").and_then(Value::as_str) == Some("AND");
    let pairs: Vec<(&String, &str)> = tags
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(Value::as_object)
                .flat_map(|m| m.iter().filter_map(|(k, v)| Some((k, v.as_str()?))))
                .collect()
        })
        .unwrap_or_default();
    let holds = |c: &Value| {
        let key = c.get("key").and_then(Value::as_str).unwrap_or("");
        let value = c.get("value").and_then(Value::as_str).unwrap_or("");
        let strict = c.get("strict").and_then(Value::as_bool).unwrap_or(false);
        pairs.iter().any(|(k, v)| {
            k.as_str() == key
                && if strict {
                    *v == value
                } else {
                    v.to_lowercase().contains(&value.to_lowercase())
                }
        })
    };
    if conditions.is_empty() {
        return true;
    }
    if all {
        conditions.iter().all(holds)
    } else {
        conditions.iter().any(holds)
    }
}

/// `POST /cloud/v1/pricing/{region_id}/billing_reservation`.
pub fn pricing(region: u64, body: &Value) -> Result<Response, String> {
    let months = match body.get("period").and_then(Value::as_str) {
        Some("MONTHS12") => 12.0,
        Some("MONTHS36") => 36.0,
        other => return Err(format!("period {other:?} is not MONTHS12 or MONTHS36")),
    };
    let resources = body
        .get("resources")
        .and_then(Value::as_array)
        .ok_or("resources is required")?;
    let mut lines = Vec::new();
    let (mut commit_month, mut over_month) = (0.0, 0.0);
    for r in resources {
        let name = r
            .get("resource_name")
            .and_then(Value::as_str)
            .ok_or("resource_name is required")?;
        let count = r
            .get("resource_value")
            .and_then(Value::as_u64)
            .filter(|v| (1..=100).contains(v))
            .ok_or("resource_value must be 1..100")?;
        let per_unit = 0.73925;
        // `count` is 1..=100 (checked above) and `months` 12 or 36: exact as f64 and u64.
        let month = per_unit * 744.0 * count as f64;
        commit_month += month;
        over_month += month * 1.3;
        lines.push(json!({
            "activity_period": "month", "activity_period_length": months as u64,
            "commit_price_per_month": format!("{month:.2}"), "commit_price_per_unit": format!("{per_unit:.5}"),
            "commit_price_total": format!("{:.2}", month * months),
            "overcommit_price_per_month": format!("{:.2}", month * 1.3), "overcommit_price_per_unit": format!("{:.5}", per_unit * 1.3),
            "overcommit_price_total": format!("{:.2}", month * 1.3 * months),
            "resource_name": name, "unit_name": "H", "unit_size_month": "744", "unit_size_total": format!("{}", 744 * count),
        }));
    }
    Ok(axum::Json(json!({
        "activity_period": "month", "activity_period_length": months as u64,
        "amount_prices": {
            "commit_price_per_month": format!("{commit_month:.2}"), "commit_price_per_unit": "0.73925",
            "commit_price_total": format!("{:.2}", commit_month * months), "currency_code": "EUR",
            "overcommit_price_per_month": format!("{over_month:.2}"), "overcommit_price_per_unit": "0.96103",
            "overcommit_price_total": format!("{:.2}", over_month * months),
        },
        "price_status": "show", "region_id": region, "region_name": region_name(region), "resources": lines,
    }))
    .into_response())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                // `i + 2 < len`, so `i + 1..i + 3` is in bounds.
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_params(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
}

/// `GET /cloud/v1/regions`: the listed regions, paged by `limit` (default 100, at most 1000) and
/// `offset`, filtered by `display_name` (case-insensitive).
pub fn regions(query: &str) -> Result<Response, String> {
    let params = query_params(query);
    let number = |name: &str, default: usize| -> Result<usize, String> {
        params.get(name).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| format!("{name} must be a whole number, not {v:?}"))
        })
    };
    let limit = number("limit", 100)?;
    let offset = number("offset", 0)?;
    if !(1..=1000).contains(&limit) {
        return Err(format!("limit must be between 1 and 1000, not {limit}"));
    }
    let listed: Vec<Value> = LISTED_REGIONS
        .iter()
        .filter(|(_, name, _, _)| {
            params
                .get("display_name")
                .is_none_or(|wanted| wanted.eq_ignore_ascii_case(name))
        })
        .map(|(id, name, country, zone)| {
            json!({
                "id": id, "access_level": "core", "available_volume_types": null,
                "coordinates": null, "country": country,
                "created_at": "2023-04-12T09:30:00Z", "created_on": "2023-04-12T09:30:00Z",
                "ddos_endpoint_id": null, "display_name": name, "endpoint_type": "public",
                "external_network_id": null, "file_share_types": ["standard"],
                "has_ai": false, "has_ai_gpu": false, "has_baremetal": true, "has_basic_vm": true,
                "has_dbaas": false, "has_ddos": true, "has_k8s": true, "has_kvm": true,
                "has_sfs": true, "keystone_id": 50 + id, "keystone_name": name,
                "metrics_database_id": null, "slug": name.to_lowercase(), "state": "ACTIVE",
                "task_id": null, "vlan_physical_network": "physnet1", "zone": zone,
            })
        })
        .collect();
    let count = listed.len();
    let results: Vec<Value> = listed.into_iter().skip(offset).take(limit).collect();
    Ok(axum::Json(json!({"count": count, "results": results})).into_response())
}

/// `GET /cloud/v2/reservations`.
pub fn reservations(query: &str) -> Result<Response, String> {
    let params = query_params(query);
    let from = params.get("time_from").ok_or("time_from is required")?;
    let to = params.get("time_to").ok_or("time_to is required")?;
    if to <= from {
        return Err(format!("time_to {to} must be after time_from {from}"));
    }
    let all = [
        ("bm1-hf-medium", 1u64, 2u64),
        ("bm3-ai-1xlarge-h100-80-8", 76, 1),
    ];
    let results: Vec<Value> = all
        .iter()
        .filter(|(_, region, _)| params.get("region_id").is_none_or(|r| r == &region.to_string()))
        .filter(|(name, _, _)| params.get("metric_name").is_none_or(|m| m == &format!("{name}_min")))
        .enumerate()
        .map(|(i, (name, region, count))| {
            json!({
                "active_billing_plan_id": 40 + i,
                "active_overcommit": {"active_from": from, "plan_item_id": null, "price_per_month": "725.00",
                    "price_per_unit": "0.97446", "price_total": "8700.00", "subscription_id": null},
                "commit": {"active_from": from, "active_to": null, "price_per_month": "550.00",
                    "price_per_unit": "0.73925", "price_total": "6600.00", "subscription_id": 1000 + i},
                "hardware_info": {"cpu": "2x Intel Xeon 8480+", "disk": null, "ram": "256 GB"},
                "region_name": region_name(*region), "resource_count": count, "resource_name": name,
                "unit_name": "H", "unit_size_month": "744", "unit_size_total": format!("{}", 744 * count),
            })
        })
        .collect();
    Ok(axum::Json(json!({"count": results.len(), "results": results})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset() -> Dataset {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/gcore-billing.yaml");
        Dataset::load(&spec, 2_000, 7).expect("dataset")
    }

    fn page_rows(data: &Dataset, body: &Value) -> (usize, Vec<Value>) {
        let (count, page) = data.matching_page(body, 1_000).expect("page");
        (
            count,
            data.rows(&data.detailed, &page, &Period::august_2024()),
        )
    }

    /// Pages, with and without filters, are consecutive slices of the full filtered list.
    #[test]
    fn pages_are_slices_of_the_filtered_list() {
        let data = dataset();
        for filter in [
            json!({}),
            json!({"regions": [76], "projects": [2, 3]}),
            json!({"types": []}),
        ] {
            let all = data.matching(&filter);
            let mut seen = Vec::new();
            for offset in (0..all.len() + 300).step_by(300) {
                let mut body = filter.clone();
                body["limit"] = json!(300);
                body["offset"] = json!(offset);
                let (count, rows) = page_rows(&data, &body);
                assert_eq!(count, all.len(), "{filter}");
                seen.extend(rows);
            }
            assert_eq!(seen.len(), all.len(), "{filter}");
            assert_eq!(
                seen,
                data.rows(&data.detailed, &all, &Period::august_2024()),
                "{filter}"
            );
        }
        assert!(
            data.matching(&json!({"regions": [76], "projects": [2, 3]}))
                .len()
                < 2_000
        );
        let error = data.matching_page(&json!({"limit": 0}), 1_000).unwrap_err();
        assert_eq!(error, "limit must be at least 1");
    }

    fn answer(response: Response) -> Value {
        let body = futures_body(response);
        serde_json::from_slice(&body).expect("JSON answer")
    }

    fn futures_body(response: Response) -> Vec<u8> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .expect("body")
            .to_vec()
    }

    /// Every row's first and last seen lie in the requested period, whatever the period.
    #[test]
    fn rows_lie_in_the_requested_period() {
        let data = dataset();
        for (from, to) in [
            ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
            ("2024-02-28T00:00:00Z", "2024-03-01T00:00:00Z"),
            ("2025-06-10T12:00:00Z", "2025-06-10T12:05:00Z"),
        ] {
            let body = json!({"time_from": from, "time_to": to, "limit": 1000});
            let page = answer(data.detailed(&body, 1000).expect("page"));
            let rows = page["results"].as_array().expect("rows");
            assert_eq!(rows.len(), 1000);
            for row in rows {
                let first = row["first_seen"].as_str().expect("first_seen");
                let last = row["last_seen"].as_str().expect("last_seen");
                // RFC 3339 UTC times in one format compare as text.
                assert!(
                    from <= first && first <= last && last <= to,
                    "{from}..{to}: {row}"
                );
            }
        }
        let error = data
            .detailed(
                &json!({"time_from": "yesterday", "time_to": "2026-12-01T00:00:00Z"}),
                10,
            )
            .unwrap_err();
        assert!(
            error.contains("time_from \"yesterday\" is not an RFC 3339 time"),
            "{error}"
        );
    }

    /// The monthly reservation totals are the reserved (bare metal) flavors' detailed costs, and
    /// differ from the aggregated totals, which cover every row.
    #[test]
    fn monthly_and_aggregated_totals_add_up_to_their_detailed_rows() {
        let data = dataset();
        let august =
            json!({"time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z"});
        let mut detailed_body = august.clone();
        detailed_body["limit"] = json!(2_000);
        let rows = answer(data.detailed(&detailed_body, 2_000).expect("rows"));
        let cents = |v: &Value| hundred_thousandths(v.as_f64().unwrap_or(0.0));
        let detailed: Vec<&Value> = rows["results"].as_array().expect("rows").iter().collect();
        let all: i64 = detailed.iter().map(|r| cents(&r["cost"])).sum();
        let reserved: i64 = detailed
            .iter()
            .filter(|r| {
                r["billing_metric_name"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("bm"))
            })
            .map(|r| cents(&r["cost"]))
            .sum();
        let total = |answer: Value| -> i64 {
            answer["results"]
                .as_array()
                .expect("totals")
                .iter()
                .map(|t| cents(&t["cost"]))
                .sum()
        };
        let aggregated = total(answer(data.totals(&august, false).expect("aggregated")));
        let monthly = total(answer(
            data.totals(&json!({"year_month": "2024-08"}), true)
                .expect("monthly"),
        ));
        assert_eq!(aggregated, all);
        assert_eq!(monthly, reserved);
        assert!(
            0 < monthly && monthly < aggregated,
            "{monthly} {aggregated}"
        );
        let error = data
            .totals(&json!({"year_month": "2024-13"}), true)
            .unwrap_err();
        assert_eq!(error, "year_month \"2024-13\" is not YYYY-MM");
    }
}
