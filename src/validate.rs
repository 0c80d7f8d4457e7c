//! Checks made before any request is sent. The spec's types already enforce what they can
//! (`limit >= 1` is a `NonZeroU64`, `year_month` is a pattern-checked string); these are the rules that
//! span fields or that the types cannot say.

use chrono::{DateTime, Utc};

use crate::client::ReservationQuery;
use crate::types;

/// A request that can be checked before it is sent.
pub trait Validate {
    /// `Err` with a sentence saying what is wrong.
    fn validate(&self) -> Result<(), String>;
}

/// A time the API can read: RFC 3339 has four-digit years, so 0000 to 9999 (chrono would write a
/// later year as `+10000-...`).
pub(crate) fn rfc3339_time(field: &str, at: &DateTime<Utc>) -> Result<(), String> {
    use chrono::Datelike;
    if !(0..=9999).contains(&at.year()) {
        return Err(format!(
            "{field} must be between years 0000 and 9999 (RFC 3339), got year {}",
            at.year()
        ));
    }
    Ok(())
}

/// An integer the spec types as int64, given as u64: it must fit.
pub(crate) fn int64(field: &str, value: u64) -> Result<(), String> {
    if i64::try_from(value).is_err() {
        return Err(format!(
            "{field} must be at most {} (int64), got {value}",
            i64::MAX
        ));
    }
    Ok(())
}

fn time_range(from: &DateTime<Utc>, to: &DateTime<Utc>) -> Result<(), String> {
    rfc3339_time("time_from", from)?;
    rfc3339_time("time_to", to)?;
    if to <= from {
        return Err(format!("time_to ({to}) must be after time_from ({from})"));
    }
    Ok(())
}

fn offset(offset: i64) -> Result<(), String> {
    if offset < 0 {
        return Err(format!("offset must be 0 or more, got {offset}"));
    }
    Ok(())
}

impl Validate for types::CostReportDetailedRequest {
    fn validate(&self) -> Result<(), String> {
        time_range(&self.time_from, &self.time_to)?;
        if let Some(limit) = self.limit {
            int64("limit", limit.get())?;
        }
        self.offset.map_or(Ok(()), offset)
    }
}

impl Validate for types::CostReportAggregatedRequest {
    fn validate(&self) -> Result<(), String> {
        time_range(&self.time_from, &self.time_to)
    }
}

impl Validate for types::UsageReportRequest {
    fn validate(&self) -> Result<(), String> {
        time_range(&self.time_from, &self.time_to)?;
        if let Some(limit) = self.limit {
            int64("limit", limit.get())?;
        }
        self.offset.map_or(Ok(()), offset)
    }
}

impl Validate for types::CostReportMonthlyRequest {
    fn validate(&self) -> Result<(), String> {
        #[allow(deprecated)]
        let (from, to) = (&self.time_from, &self.time_to);
        if let Some(from) = from {
            rfc3339_time("time_from", from)?;
        }
        if let Some(to) = to {
            rfc3339_time("time_to", to)?;
        }
        if let (Some(from), Some(to)) = (from, to) {
            time_range(from, to)?;
        }
        Ok(())
    }
}

impl Validate for types::ReservationPricingRequest {
    fn validate(&self) -> Result<(), String> {
        if self.resources.is_empty() {
            return Err("resources must name at least one resource".into());
        }
        for (i, resource) in self.resources.iter().enumerate() {
            let value = resource.resource_value.get();
            if !(1..=100).contains(&value) {
                return Err(format!(
                    "resources[{i}].resource_value must be between 1 and 100, got {value}"
                ));
            }
        }
        Ok(())
    }
}

impl Validate for ReservationQuery {
    fn validate(&self) -> Result<(), String> {
        time_range(&self.time_from, &self.time_to)?;
        if self.time_to - self.time_from > chrono::Duration::days(31) {
            return Err("the period may span at most 31 days".into());
        }
        if let Some(region) = self.region_id {
            if region == 0 {
                return Err("region_id must be greater than 0".into());
            }
            int64("region_id", region)?;
        }
        Ok(())
    }
}
