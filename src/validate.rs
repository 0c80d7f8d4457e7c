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

fn time_range(from: &DateTime<Utc>, to: &DateTime<Utc>) -> Result<(), String> {
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
        offset(self.offset)
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
        offset(self.offset)
    }
}

impl Validate for types::CostReportMonthlyRequest {
    fn validate(&self) -> Result<(), String> {
        #[allow(deprecated)]
        if let (Some(from), Some(to)) = (&self.time_from, &self.time_to) {
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
        if self.region_id == Some(0) {
            return Err("region_id must be greater than 0".into());
        }
        Ok(())
    }
}
