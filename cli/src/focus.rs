//! FOCUS rows from the detailed cost report: `export detailed --format focus-csv|focus-parquet`.
//!
//! FOCUS is the FinOps Foundation's common format for cost data. Each row of the detailed cost
//! report becomes one FOCUS 1.0 row; docs/focus.md gives the mapping column by column and type by
//! type, and what each choice rests on. In short:
//!
//! - money is exact: `cost` and `billing_value` are read from the JSON text as decimals
//!   ([`RawRow::decimal`]), never through a float;
//! - the charge period is the requested period, the billing period its calendar month;
//! - service, category and resource type come from [`SERVICES`], with [`FALLBACK_SERVICE`] for a
//!   type this table does not know yet;
//! - every field of the row that no FOCUS column takes goes, unchanged, into `x_Details`;
//! - a row FOCUS cannot hold (no price: `cost` null, which FOCUS 1.0 forbids in its cost columns)
//!   is left out of the FOCUS file and returned as [`Outcome::LeftOut`] with the reason, for the
//!   caller to list elsewhere. Never dropped silently.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use gcore_billing::columns::{Cell, Column, ColumnKind};
use gcore_billing::pagination::{RawRow, exact_decimal};
use gcore_billing::types;
use serde_json::value::RawValue;

/// The FOCUS version these rows follow.
pub const FOCUS_VERSION: &str = "1.0";

/// Who provides, publishes and invoices every row.
const GCORE: &str = "Gcore";

/// How a Gcore resource type maps to FOCUS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    /// The report's `type`.
    pub gcore_type: &'static str,
    /// FOCUS ServiceName: the Gcore product that bills it.
    pub name: &'static str,
    /// FOCUS ServiceCategory (one of FOCUS 1.0's allowed values).
    pub category: &'static str,
    /// FOCUS ResourceType: what the resource is, in words.
    pub resource_type: &'static str,
}

const fn service(
    gcore_type: &'static str,
    name: &'static str,
    category: &'static str,
    resource_type: &'static str,
) -> Service {
    Service {
        gcore_type,
        name,
        category,
        resource_type,
    }
}

/// Every resource type of the detailed cost report (and `inference_public_models`, which the
/// report's filters know), in the spec's order of `ResourceType`.
pub const SERVICES: &[Service] = &[
    service(
        "ai_cluster",
        "GPU Cloud",
        "AI and Machine Learning",
        "AI Cluster",
    ),
    service(
        "ai_virtual_cluster",
        "GPU Cloud",
        "AI and Machine Learning",
        "AI Virtual Cluster",
    ),
    service("backup", "Block Storage", "Storage", "Volume Backup"),
    service("baremetal", "Bare Metal", "Compute", "Bare Metal Server"),
    service(
        "basic_vm",
        "Virtual Instances",
        "Compute",
        "Basic Virtual Machine",
    ),
    service(
        "containers",
        "Container as a Service",
        "Compute",
        "Container",
    ),
    service(
        "dbaas_postgresql_connection_pooler",
        "Managed PostgreSQL",
        "Databases",
        "PostgreSQL Connection Pooler",
    ),
    service(
        "dbaas_postgresql_cpu",
        "Managed PostgreSQL",
        "Databases",
        "PostgreSQL CPU",
    ),
    service(
        "dbaas_postgresql_memory",
        "Managed PostgreSQL",
        "Databases",
        "PostgreSQL Memory",
    ),
    service(
        "dbaas_postgresql_public_network",
        "Managed PostgreSQL",
        "Databases",
        "PostgreSQL Public Network",
    ),
    service(
        "dbaas_postgresql_volume",
        "Managed PostgreSQL",
        "Databases",
        "PostgreSQL Volume",
    ),
    service(
        "egress_traffic",
        "Network Traffic",
        "Networking",
        "Egress Traffic",
    ),
    service(
        "external_ip",
        "Public IP Addresses",
        "Networking",
        "External IP Address",
    ),
    service("file_share", "File Storage", "Storage", "File Share"),
    service(
        "floatingip",
        "Public IP Addresses",
        "Networking",
        "Floating IP Address",
    ),
    service("functions", "Function as a Service", "Compute", "Function"),
    service(
        "functions_calls",
        "Function as a Service",
        "Compute",
        "Function Calls",
    ),
    service(
        "functions_traffic",
        "Function as a Service",
        "Networking",
        "Function Egress Traffic",
    ),
    service("image", "Images", "Storage", "Image"),
    service(
        "inference",
        "Everywhere Inference",
        "AI and Machine Learning",
        "Inference Deployment",
    ),
    service(
        "inference_public_models",
        "Everywhere Inference",
        "AI and Machine Learning",
        "Public Model Inference",
    ),
    service(
        "instance",
        "Virtual Instances",
        "Compute",
        "Virtual Machine",
    ),
    service(
        "load_balancer",
        "Load Balancers",
        "Networking",
        "Load Balancer",
    ),
    service(
        "log_index",
        "Logging",
        "Management and Governance",
        "Log Index",
    ),
    service("snapshot", "Block Storage", "Storage", "Volume Snapshot"),
    service("volume", "Block Storage", "Storage", "Volume"),
];

/// A type the table does not know (Gcore added it after this version): ServiceName "Gcore Cloud",
/// ServiceCategory "Other", and the raw type as ResourceType.
pub const FALLBACK_SERVICE: Service = service("", "Gcore Cloud", "Other", "");

/// The row of [`SERVICES`] for a type, or [`FALLBACK_SERVICE`] with the type as its resource type.
pub fn service_of(gcore_type: &str) -> (Service, bool) {
    match SERVICES.iter().find(|s| s.gcore_type == gcore_type) {
        Some(known) => (*known, true),
        None => (FALLBACK_SERVICE, false),
    }
}

/// FOCUS unit names (FOCUS 1.0, Unit Format) for Gcore's `billing_value_unit`s; another unit is
/// written as Gcore sends it.
pub const UNITS: &[(&str, &str)] = &[
    ("minutes", "Minutes"),
    ("gbminutes", "GB-Minutes"),
    ("bytes", "B"),
    ("GB", "GB"),
    ("GBS", "GB-Seconds"),
    ("MLS", "1000000 Requests"),
];

/// The FOCUS unit for a Gcore unit.
pub fn focus_unit(gcore_unit: &str) -> &str {
    UNITS
        .iter()
        .find(|(gcore, _)| *gcore == gcore_unit)
        .map_or(gcore_unit, |(_, focus)| focus)
}

const fn column(name: &'static str, kind: ColumnKind) -> Column {
    Column { name, kind }
}

use ColumnKind::{Decimal, Json, Text, Timestamp};

/// The columns of a FOCUS export: FOCUS 1.0's columns in its alphabetical order, then Gcore's own
/// (`x_` prefixed, as FOCUS asks of provider columns).
pub const COLUMNS: &[Column] = &[
    column("BilledCost", Decimal),
    column("BillingAccountId", Text),
    column("BillingAccountName", Text),
    column("BillingCurrency", Text),
    column("BillingPeriodEnd", Timestamp),
    column("BillingPeriodStart", Timestamp),
    column("ChargeCategory", Text),
    column("ChargeClass", Text),
    column("ChargeDescription", Text),
    column("ChargeFrequency", Text),
    column("ChargePeriodEnd", Timestamp),
    column("ChargePeriodStart", Timestamp),
    column("CommitmentDiscountCategory", Text),
    column("CommitmentDiscountId", Text),
    column("CommitmentDiscountName", Text),
    column("CommitmentDiscountStatus", Text),
    column("CommitmentDiscountType", Text),
    column("ConsumedQuantity", Decimal),
    column("ConsumedUnit", Text),
    column("ContractedCost", Decimal),
    column("ContractedUnitPrice", Decimal),
    column("EffectiveCost", Decimal),
    column("InvoiceIssuerName", Text),
    column("ListCost", Decimal),
    column("ListUnitPrice", Decimal),
    column("PricingCategory", Text),
    column("PricingQuantity", Decimal),
    column("PricingUnit", Text),
    column("ProviderName", Text),
    column("PublisherName", Text),
    column("RegionId", Text),
    column("RegionName", Text),
    column("ResourceId", Text),
    column("ResourceName", Text),
    column("ResourceType", Text),
    column("ServiceCategory", Text),
    column("ServiceName", Text),
    column("SkuId", Text),
    column("SkuPriceId", Text),
    column("SubAccountId", Text),
    column("SubAccountName", Text),
    column("Tags", Json),
    column("x_GcoreResourceType", Text),
    column("x_FirstSeen", Timestamp),
    column("x_LastSeen", Timestamp),
    column("x_Details", Json),
    column("x_PriceStatus", Text),
];

/// Fields of a row that a FOCUS column takes; any other field goes into `x_Details`.
const MAPPED: &[&str] = &[
    "type",
    "cost",
    "currency",
    "err",
    "billing_value",
    "billing_value_unit",
    "billing_metric_name",
    "billing_feature_name",
    "first_seen",
    "last_seen",
    "project_id",
    "region_id",
];

/// Fields that name a resource, in order of preference: the first one a row has is ResourceId.
const RESOURCE_IDS: &[&str] = &["uuid", "port_id", "vm_id"];
/// Fields that give a resource's name, in order of preference.
const RESOURCE_NAMES: &[&str] = &["last_name", "ip_address", "instance_name"];

/// What became of a row.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The cells hold a FOCUS row.
    Row,
    /// FOCUS cannot hold this row; the reason says why (the row's own `err`, when it has one).
    LeftOut(String),
}

/// Turns detailed-cost-report rows into FOCUS rows, for one requested period.
#[derive(Clone, Debug)]
pub struct FocusRows {
    account_id: String,
    account_name: Option<String>,
    charge_period: (String, String),
    billing_period: (String, String),
    /// The report's `price_status` (`show`, or `hide`/`error` when the export was told to go on
    /// with prices that are not valid), written in every row's `x_PriceStatus`.
    price_status: String,
    /// Region names by region ID, from the API's list of regions (`list_regions`).
    region_names: BTreeMap<i64, String>,
}

/// A time as FOCUS tools read it: RFC 3339 in UTC with a `Z`.
fn utc_text(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The calendar month that holds `[from, to)`, or why there is none (FOCUS puts each row in one
/// billing period, and Gcore bills by calendar month).
pub fn billing_month(
    from: &DateTime<Utc>,
    to: &DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let start = Utc
        .with_ymd_and_hms(from.year(), from.month(), 1, 0, 0, 0)
        .single();
    let (next_year, next_month) = if from.month() == 12 {
        (from.year() + 1, 1)
    } else {
        (from.year(), from.month() + 1)
    };
    let end = Utc
        .with_ymd_and_hms(next_year, next_month, 1, 0, 0, 0)
        .single();
    match (start, end) {
        (Some(start), Some(end)) if from < to && *to <= end => Ok((start, end)),
        (Some(_), Some(end)) if from < to => Err(format!(
            "a FOCUS export covers one billing period (a calendar month): {} to {} crosses {}; \
             export each month on its own",
            utc_text(from),
            utc_text(to),
            utc_text(&end)
        )),
        _ => Err(format!(
            "the period {} to {} is empty or out of range",
            utc_text(from),
            utc_text(to)
        )),
    }
}

fn field<'a>(fields: &'a [(String, &'a RawValue)], name: &str) -> Option<&'a RawValue> {
    fields
        .iter()
        .find(|(key, value)| key == name && value.get() != "null")
        .map(|(_, value)| *value)
}

/// A field as text: strings unquoted, numbers and booleans as written; None when absent or null.
fn text(fields: &[(String, &RawValue)], name: &str) -> Result<Option<String>, String> {
    let Some(value) = field(fields, name) else {
        return Ok(None);
    };
    let raw = value.get();
    if raw.starts_with('"') {
        serde_json::from_str::<String>(raw)
            .map(Some)
            .map_err(|e| format!("field `{name}`: {e}"))
    } else if raw.starts_with(['{', '[']) {
        Err(format!("field `{name}` is not a string or a number"))
    } else {
        Ok(Some(raw.to_string()))
    }
}

fn decimal(
    fields: &[(String, &RawValue)],
    name: &str,
) -> Result<Option<rust_decimal::Decimal>, String> {
    match field(fields, name) {
        None => Ok(None),
        Some(value) => exact_decimal(value.get()).map_err(|e| format!("field `{name}`: {e}")),
    }
}

fn put_text(cells: &mut [Cell], at: usize, value: Option<String>) {
    if let Some(cell) = cells.get_mut(at) {
        *cell = value.map_or(Cell::Null, Cell::Text);
    }
}

/// Gcore's tags (`[{"env": "prod"}, {"os_version": "22.04"}]`) as the FOCUS Tags object
/// (`{"env": "prod", "os_version": "22.04"}`). None when a key repeats: one object cannot hold
/// both values, so the list is kept in `x_Details` instead.
fn focus_tags(raw: &RawValue) -> Result<Option<String>, String> {
    let list: Vec<Vec<(String, &RawValue)>> = serde_json::from_str::<Vec<TagObject<'_>>>(raw.get())
        .map(|tags| tags.into_iter().map(|t| t.0).collect())
        .map_err(|e| format!("field `tags`: {e}"))?;
    let mut seen: Vec<&str> = Vec::new();
    let mut object = String::from("{");
    for (key, value) in list.iter().flatten() {
        if seen.contains(&key.as_str()) {
            return Ok(None);
        }
        seen.push(key);
        if object.len() > 1 {
            object.push(',');
        }
        object.push_str(&serde_json::to_string(key).map_err(|e| e.to_string())?);
        object.push(':');
        object.push_str(value.get());
    }
    object.push('}');
    Ok(Some(object))
}

/// One `{key: value}` object of a tag list, its entries in order.
struct TagObject<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for TagObject<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = TagObject<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a tag object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(TagObject(entries))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// Index of a column in [`COLUMNS`] (a name missing from the list is a bug caught by the tests).
fn at(name: &str) -> usize {
    COLUMNS
        .iter()
        .position(|c| c.name == name)
        .unwrap_or(COLUMNS.len())
}

impl FocusRows {
    /// Rows for the period `[from, to)`, which must lie in one calendar month, billed to this
    /// account.
    pub fn new(
        account_id: String,
        account_name: Option<String>,
        from: &DateTime<Utc>,
        to: &DateTime<Utc>,
    ) -> Result<Self, String> {
        let (start, end) = billing_month(from, to)?;
        Ok(Self {
            account_id,
            account_name,
            charge_period: (utc_text(from), utc_text(to)),
            billing_period: (utc_text(&start), utc_text(&end)),
            price_status: "show".to_string(),
            region_names: BTreeMap::new(),
        })
    }

    /// The names `RegionName` takes, by region ID. A region missing from them gets no name (null),
    /// never its number.
    pub fn set_region_names(&mut self, names: BTreeMap<i64, String>) {
        self.region_names = names;
    }

    /// Marks every row with the report's `price_status`.
    pub fn set_price_status(&mut self, status: &str) {
        self.price_status = status.to_string();
    }

    /// Sets `cells` to the FOCUS row of one detailed-cost-report row, or says why FOCUS cannot
    /// hold it. `Err` when the row does not match the spec (a wrong type, a number too long to be
    /// exact).
    pub fn fill(&self, row: &RawRow, cells: &mut Vec<Cell>) -> Result<Outcome, String> {
        // The typed parse checks the row against the spec (and names the field that is wrong).
        row.parse::<types::CostReportResource>()?;
        let fields = row.fields()?;
        let Some(cost) = decimal(&fields, "cost")? else {
            let why = text(&fields, "err")?.unwrap_or_else(|| "no error given".into());
            return Ok(Outcome::LeftOut(format!("no price (cost is null): {why}")));
        };
        let Some(currency) = text(&fields, "currency")? else {
            return Ok(Outcome::LeftOut(
                "a cost without a currency (BillingCurrency may not be null)".into(),
            ));
        };
        cells.clear();
        cells.resize(COLUMNS.len(), Cell::Null);
        let gcore_type = text(&fields, "type")?.unwrap_or_default();
        let (service, known) = service_of(&gcore_type);
        let resource_type = if known {
            service.resource_type.to_string()
        } else {
            gcore_type.clone()
        };
        let quantity = decimal(&fields, "billing_value")?;
        let unit = text(&fields, "billing_value_unit")?.map(|u| focus_unit(&u).to_string());
        let feature = text(&fields, "billing_feature_name")?;
        let description = feature
            .clone()
            .unwrap_or_else(|| format!("{} usage", resource_type));
        let mut taken: Vec<&str> = MAPPED.to_vec();
        let resource_id = RESOURCE_IDS.iter().find(|n| field(&fields, n).is_some());
        let resource_name = RESOURCE_NAMES.iter().find(|n| field(&fields, n).is_some());
        taken.extend(resource_id.iter().copied());
        taken.extend(resource_name.iter().copied());
        let tags = match field(&fields, "tags") {
            Some(raw) => focus_tags(raw)?,
            None => None,
        };
        if tags.is_some() || field(&fields, "tags").is_none() {
            taken.push("tags");
        }

        for money in ["BilledCost", "EffectiveCost", "ListCost", "ContractedCost"] {
            if let Some(cell) = cells.get_mut(at(money)) {
                *cell = Cell::Decimal(cost);
            }
        }
        for amount in ["ConsumedQuantity", "PricingQuantity"] {
            if let Some(cell) = cells.get_mut(at(amount)) {
                *cell = quantity.map_or(Cell::Null, Cell::Decimal);
            }
        }
        let mut put = |name: &str, value: Option<String>| put_text(cells, at(name), value);
        put("BillingAccountId", Some(self.account_id.clone()));
        put("BillingAccountName", self.account_name.clone());
        put("BillingCurrency", Some(currency));
        put("BillingPeriodStart", Some(self.billing_period.0.clone()));
        put("BillingPeriodEnd", Some(self.billing_period.1.clone()));
        put("ChargeCategory", Some("Usage".into()));
        put("ChargeDescription", Some(description));
        put("ChargeFrequency", Some("Usage-Based".into()));
        put("ChargePeriodStart", Some(self.charge_period.0.clone()));
        put("ChargePeriodEnd", Some(self.charge_period.1.clone()));
        put("ConsumedUnit", unit.clone());
        put("PricingUnit", unit);
        put("InvoiceIssuerName", Some(GCORE.into()));
        put("ProviderName", Some(GCORE.into()));
        put("PublisherName", Some(GCORE.into()));
        put("PricingCategory", Some("Standard".into()));
        let region = text(&fields, "region_id")?;
        let region_name = region
            .as_deref()
            .and_then(|id| id.parse::<i64>().ok())
            .and_then(|id| self.region_names.get(&id).cloned());
        put("RegionId", region);
        put("RegionName", region_name);
        put(
            "ResourceId",
            resource_id.map(|n| text(&fields, n)).transpose()?.flatten(),
        );
        put(
            "ResourceName",
            resource_name
                .map(|n| text(&fields, n))
                .transpose()?
                .flatten(),
        );
        put("ResourceType", Some(resource_type));
        put("ServiceCategory", Some(service.category.into()));
        put("ServiceName", Some(service.name.into()));
        put("SkuId", text(&fields, "billing_metric_name")?);
        put("SkuPriceId", feature);
        put("SubAccountId", text(&fields, "project_id")?);
        put("x_GcoreResourceType", Some(gcore_type));
        put("x_FirstSeen", text(&fields, "first_seen")?);
        put("x_LastSeen", text(&fields, "last_seen")?);
        put("x_PriceStatus", Some(self.price_status.clone()));
        if let (Some(tags), Some(cell)) = (tags, cells.get_mut(at("Tags"))) {
            *cell = Cell::Json(tags);
        }
        let mut details = String::from("{");
        for (key, value) in &fields {
            if taken.contains(&key.as_str()) {
                continue;
            }
            if details.len() > 1 {
                details.push(',');
            }
            details.push_str(&serde_json::to_string(key).map_err(|e| e.to_string())?);
            details.push(':');
            details.push_str(value.get());
        }
        details.push('}');
        if details.len() > 2
            && let Some(cell) = cells.get_mut(at("x_Details"))
        {
            *cell = Cell::Json(details);
        }
        Ok(Outcome::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn rows() -> FocusRows {
        let from = Utc.with_ymd_and_hms(2024, 8, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2024, 8, 15, 0, 0, 0).unwrap();
        let mut rows = FocusRows::new("acct-1".into(), Some("Acme".into()), &from, &to).unwrap();
        rows.set_region_names(BTreeMap::from([(76, "Luxembourg-2".to_string())]));
        rows
    }

    fn cell<'a>(cells: &'a [Cell], name: &str) -> &'a Cell {
        &cells[at(name)]
    }

    #[test]
    fn every_column_name_is_found_and_unique() {
        for (i, c) in COLUMNS.iter().enumerate() {
            assert_eq!(at(c.name), i, "{}", c.name);
        }
    }

    #[test]
    fn a_priced_row_maps_column_by_column_with_exact_money() {
        let row = RawRow::from_json(
            r#"{"type":"volume","cost":0.1000000000000000055511,"currency":"EUR","err":null,
            "billing_value":123456789.123456789,"billing_value_unit":"gbminutes",
            "billing_metric_name":"volume_standard","billing_feature_name":"Volume standard",
            "first_seen":"2024-08-02T00:00:30Z","last_seen":"2024-08-03T23:59:30Z",
            "project_id":7,"region":76,"region_id":76,"uuid":"u-1","last_name":"data",
            "last_size":10,"size_unit":"GiB","volume_type":"ssd","attached_to_vm":null,
            "tags":[{"env":"prod"},{"team":"a\"b"}]}"#,
        )
        .unwrap();
        let mut cells = Vec::new();
        assert_eq!(rows().fill(&row, &mut cells), Ok(Outcome::Row));
        let exact = rust_decimal::Decimal::from_str("0.1000000000000000055511").unwrap();
        for money in ["BilledCost", "EffectiveCost", "ListCost", "ContractedCost"] {
            assert_eq!(cell(&cells, money), &Cell::Decimal(exact), "{money}");
        }
        let quantity = rust_decimal::Decimal::from_str("123456789.123456789").unwrap();
        assert_eq!(cell(&cells, "ConsumedQuantity"), &Cell::Decimal(quantity));
        let text = |name| match cell(&cells, name) {
            Cell::Text(s) | Cell::Json(s) => Some(s.as_str()),
            Cell::Null => None,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(text("BillingAccountId"), Some("acct-1"));
        assert_eq!(text("BillingAccountName"), Some("Acme"));
        assert_eq!(text("BillingCurrency"), Some("EUR"));
        assert_eq!(text("BillingPeriodStart"), Some("2024-08-01T00:00:00Z"));
        assert_eq!(text("BillingPeriodEnd"), Some("2024-09-01T00:00:00Z"));
        assert_eq!(text("ChargePeriodStart"), Some("2024-08-01T00:00:00Z"));
        assert_eq!(text("ChargePeriodEnd"), Some("2024-08-15T00:00:00Z"));
        assert_eq!(text("ChargeCategory"), Some("Usage"));
        assert_eq!(text("ChargeClass"), None);
        assert_eq!(text("ChargeDescription"), Some("Volume standard"));
        assert_eq!(text("ConsumedUnit"), Some("GB-Minutes"));
        assert_eq!(text("PricingUnit"), Some("GB-Minutes"));
        assert_eq!(text("ProviderName"), Some("Gcore"));
        assert_eq!(text("RegionId"), Some("76"));
        assert_eq!(text("RegionName"), Some("Luxembourg-2"));
        assert_eq!(text("ResourceId"), Some("u-1"));
        assert_eq!(text("ResourceName"), Some("data"));
        assert_eq!(text("ResourceType"), Some("Volume"));
        assert_eq!(text("ServiceName"), Some("Block Storage"));
        assert_eq!(text("ServiceCategory"), Some("Storage"));
        assert_eq!(text("SkuId"), Some("volume_standard"));
        assert_eq!(text("SkuPriceId"), Some("Volume standard"));
        assert_eq!(text("SubAccountId"), Some("7"));
        assert_eq!(text("Tags"), Some(r#"{"env":"prod","team":"a\"b"}"#));
        assert_eq!(text("x_GcoreResourceType"), Some("volume"));
        assert_eq!(text("x_FirstSeen"), Some("2024-08-02T00:00:30Z"));
        // Every field no column takes, unchanged and in order.
        assert_eq!(
            text("x_Details"),
            Some(
                r#"{"region":76,"last_size":10,"size_unit":"GiB","volume_type":"ssd","attached_to_vm":null}"#
            )
        );
    }

    #[test]
    fn unpriced_rows_are_left_out_with_their_reason() {
        let row = RawRow::from_json(
            r#"{"type":"instance","cost":null,"currency":null,"err":"price not found",
            "billing_value":5,"billing_value_unit":"minutes","billing_metric_name":"m",
            "billing_feature_name":null,"first_seen":"2024-08-02T00:00:30Z",
            "last_seen":"2024-08-03T23:59:30Z","project_id":7,"region":1,"region_id":1,
            "flavor":"g1","last_name":"vm","uuid":"u-2"}"#,
        )
        .unwrap();
        let mut cells = Vec::new();
        assert_eq!(
            rows().fill(&row, &mut cells),
            Ok(Outcome::LeftOut(
                "no price (cost is null): price not found".into()
            ))
        );
    }

    #[test]
    fn natural_ids_unknown_types_repeated_tags_and_bad_rows() {
        let mut cells = Vec::new();
        let egress = RawRow::from_json(
            r#"{"type":"egress_traffic","cost":1,"currency":"USD","err":null,"billing_value":2,
            "billing_value_unit":"bytes","billing_metric_name":"egress","billing_feature_name":null,
            "first_seen":"2024-08-02T00:00:30Z","last_seen":"2024-08-03T23:59:30Z","project_id":7,
            "region":1,"region_id":1,"port_id":"p-1","vm_id":"vm-9","instance_name":"web",
            "instance_type":"vm","size_unit":"bytes","tags":[{"a":"1"},{"a":"2"}]}"#,
        )
        .unwrap();
        assert_eq!(rows().fill(&egress, &mut cells), Ok(Outcome::Row));
        assert_eq!(cell(&cells, "ResourceId"), &Cell::Text("p-1".into()));
        assert_eq!(cell(&cells, "ResourceName"), &Cell::Text("web".into()));
        // Region 1 is not in the list of names: no name, never the number.
        assert_eq!(cell(&cells, "RegionId"), &Cell::Text("1".into()));
        assert_eq!(cell(&cells, "RegionName"), &Cell::Null);
        assert_eq!(cell(&cells, "ConsumedUnit"), &Cell::Text("B".into()));
        assert_eq!(
            cell(&cells, "ChargeDescription"),
            &Cell::Text("Egress Traffic usage".into())
        );
        // A repeated tag key: the list stays whole in x_Details.
        assert_eq!(cell(&cells, "Tags"), &Cell::Null);
        assert_eq!(
            cell(&cells, "x_Details"),
            &Cell::Json(
                r#"{"region":1,"vm_id":"vm-9","instance_type":"vm","size_unit":"bytes","tags":[{"a":"1"},{"a":"2"}]}"#
                    .into()
            )
        );

        let future = RawRow::from_json(
            r#"{"type":"quantum_computer","cost":3,"currency":"EUR","err":null,"billing_value":1,
            "billing_value_unit":"qubits","billing_metric_name":"q","billing_feature_name":null,
            "first_seen":"2024-08-02T00:00:30Z","last_seen":"2024-08-03T23:59:30Z","project_id":7,
            "region":1,"region_id":1}"#,
        )
        .unwrap();
        assert_eq!(rows().fill(&future, &mut cells), Ok(Outcome::Row));
        assert_eq!(
            cell(&cells, "ServiceName"),
            &Cell::Text("Gcore Cloud".into())
        );
        assert_eq!(cell(&cells, "ServiceCategory"), &Cell::Text("Other".into()));
        assert_eq!(
            cell(&cells, "ResourceType"),
            &Cell::Text("quantum_computer".into())
        );
        assert_eq!(cell(&cells, "ConsumedUnit"), &Cell::Text("qubits".into()));

        let wrong = RawRow::from_json(r#"{"type":"volume","cost":"free"}"#).unwrap();
        let error = rows().fill(&wrong, &mut cells).unwrap_err();
        assert!(error.contains("cost"), "{error}");
        let too_long = RawRow::from_json(
            r#"{"type":"quantum_computer","cost":1.00000000000000000000000000001,"currency":"EUR"}"#,
        )
        .unwrap();
        let error = rows().fill(&too_long, &mut cells).unwrap_err();
        assert!(error.contains("exactly"), "{error}");
    }

    #[test]
    fn the_table_covers_every_resource_type_of_the_spec() {
        let spec = include_str!("../../openapi/gcore-billing.yaml");
        let after = spec
            .split_once("\n    ResourceType:\n")
            .expect("ResourceType in the spec")
            .1;
        let list = after
            .lines()
            .find_map(|l| l.trim().strip_prefix("enum: ["))
            .and_then(|l| l.strip_suffix(']'))
            .expect("its enum");
        let types: Vec<&str> = list.split(',').map(str::trim).collect();
        assert!(types.len() >= 25, "{types:?}");
        for t in &types {
            assert!(
                service_of(t).1,
                "{t} has no row in SERVICES (and docs/focus.md)"
            );
        }
        assert_eq!(
            SERVICES.len(),
            types.len(),
            "no row for a type the spec lacks"
        );
    }

    #[test]
    fn every_category_is_one_focus_allows() {
        const ALLOWED: &[&str] = &[
            "AI and Machine Learning",
            "Analytics",
            "Business Applications",
            "Compute",
            "Databases",
            "Developer Tools",
            "Multicloud",
            "Identity",
            "Integration",
            "Internet of Things",
            "Management and Governance",
            "Media",
            "Migration",
            "Mobile",
            "Networking",
            "Security",
            "Storage",
            "Web",
            "Other",
        ];
        for s in SERVICES.iter().chain([&FALLBACK_SERVICE]) {
            assert!(ALLOWED.contains(&s.category), "{s:?}");
        }
    }

    #[test]
    fn a_focus_period_lies_in_one_calendar_month() {
        let at = |m, d| Utc.with_ymd_and_hms(2024, m, d, 0, 0, 0).unwrap();
        assert_eq!(
            billing_month(&at(8, 1), &at(9, 1)),
            Ok((at(8, 1), at(9, 1)))
        );
        assert_eq!(
            billing_month(&at(8, 5), &at(8, 6)),
            Ok((at(8, 1), at(9, 1)))
        );
        let december = Utc.with_ymd_and_hms(2024, 12, 3, 0, 0, 0).unwrap();
        let next = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            billing_month(&december, &next).map(|(s, _)| s.month()),
            Ok(12)
        );
        assert!(
            billing_month(&at(8, 5), &at(9, 2))
                .unwrap_err()
                .contains("crosses")
        );
        assert!(
            billing_month(&at(8, 5), &at(8, 5))
                .unwrap_err()
                .contains("empty")
        );
    }
}
