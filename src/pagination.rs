//! Streams every row of a paged report. Which operations are paged, and by which fields, comes from
//! `x-gcore-pagination` in the spec: the generator implements [`PagedOperation`] for each, on a
//! marker type in [`crate::paged`].
//!
//! The first page tells `count`; the remaining rows are cut into windows of `page_size`, planned
//! lazily (memory depends on `page_size × concurrency`, never on `count`) and fetched one at a time
//! or `concurrency` at a time, in order either way. What a server says is checked, not trusted:
//!
//! - every request must deliver at least one row while `count` says more remain, and never more rows
//!   than it asked for: an empty page before `count`, or an oversized page, ends the stream with
//!   [`Error::Pagination`] naming the offset and the claimed count. So a false `count` costs one
//!   wasted request, not memory or time;
//! - `count` must be the same on every page. Rows added or removed while a report is read shift the
//!   offsets, which would silently skip or repeat rows, so a changed `count` ends the stream with an
//!   error naming both counts (the rows before it are good; start the export again for a consistent
//!   snapshot);
//! - a page whose first row repeats a row of the window before it, or of its own window's earlier
//!   pages (overlapping pages, or a server that ignores `offset`), ends the stream with an error.
//!   This is why a window's rows are handed on only once the next window has arrived. The check
//!   reaches back one window (`page_size` rows): a server that answers an offset with rows from
//!   further back cannot be told from a report that really repeats rows without remembering every
//!   row, which would make memory grow with the report.
//!
//! The first error ends the stream: no row is lost, repeated, or silently skipped.

use std::future::Future;

use futures::stream::{self, BoxStream, StreamExt};
use serde::de::DeserializeOwned;

use crate::Error;
use crate::generated::{Client as GeneratedClient, Error as GeneratedError, ResponseValue};

use crate::types::ErrorResponse;

/// Largest `page_size`: the wire type of `limit` is a signed 64-bit integer.
pub const MAX_PAGE_SIZE: u64 = i64::MAX.unsigned_abs();

/// Most pages in flight at once.
pub const MAX_CONCURRENCY: usize = 64;

/// An operation that pages with a limit and an offset, as a type: the generator implements it, for
/// each operation with `x-gcore-pagination`, on a marker in [`crate::paged`] (never on the request
/// type, which several operations may share). The request itself is [`PagedOperation::Body`].
pub trait PagedOperation: Sized + Send + Sync + 'static {
    /// The request body (a generated request type, possibly shared with other operations).
    type Body: Clone + Send + Sync + 'static;
    /// One page of the answer.
    type Page: Send + DeserializeOwned;
    /// One row.
    type Item: Send + PartialEq + 'static;
    /// The documented error body.
    type Error: Send;
    /// The spec's `operationId`.
    const OPERATION_ID: &'static str;
    /// The request's page size.
    fn limit(body: &Self::Body) -> u64;
    /// The request's first row, as set (negative values are rejected by the pager).
    fn offset(body: &Self::Body) -> i64;
    /// A copy of the request for another window.
    fn with_window(body: &Self::Body, limit: u64, offset: u64) -> Result<Self::Body, String>;
    /// Sends the request.
    fn fetch(
        client: &GeneratedClient,
        body: Self::Body,
    ) -> impl Future<Output = Result<ResponseValue<Self::Page>, GeneratedError<Self::Error>>> + Send + '_;
    /// Rows in the whole report, as the page claims it (checked by the pager).
    fn count(page: &Self::Page) -> i64;
    /// The rows of this page.
    fn into_items(page: Self::Page) -> Vec<Self::Item>;
}

/// A paged operation whose pages can also be read into other row types than its typed rows: each
/// row's JSON text ([`Raw`]), or only the fields every row type has ([`Common`]). Implemented by
/// generated code for every operation with `x-gcore-pagination`.
pub trait PagedRows: PagedOperation {
    /// The answer's field that holds the report's row count.
    const COUNT_FIELD: &'static str;
    /// The answer's field that holds the rows.
    const ITEMS_FIELD: &'static str;
    /// The row with only the fields every row type has, parsed in one pass (for a union of row
    /// types, its generated `<Union>Common`; otherwise the row type itself).
    type CommonItem: DeserializeOwned + Send + PartialEq + 'static;
    /// Sends the request and reads the rows as `T`.
    fn fetch_rows<T: DeserializeOwned + Send + 'static>(
        client: &GeneratedClient,
        body: Self::Body,
    ) -> impl Future<Output = Result<ResponseValue<RowsPage<Self, T>>, GeneratedError<Self::Error>>>
    + Send
    + '_;
}

/// One row exactly as the server sent it: its JSON text, checked to be JSON and nothing more.
///
/// For what typed rows cannot keep: amounts as the exact decimals written on the wire
/// ([`RawRow::decimal`]), and fields the spec does not list yet. [`RawRow::parse`] gives the
/// typed row.
#[derive(Clone, Debug)]
pub struct RawRow(Box<serde_json::value::RawValue>);

impl PartialEq for RawRow {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl<'de> serde::Deserialize<'de> for RawRow {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<serde_json::value::RawValue>::deserialize(deserializer).map(RawRow)
    }
}

impl serde::Serialize for RawRow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl RawRow {
    /// A row from JSON text (checked to be JSON).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text).map(RawRow)
    }

    /// The row's JSON text, as received.
    pub fn json(&self) -> &str {
        self.0.get()
    }

    /// The [`fingerprint`] of the row's text.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(self.json())
    }

    /// The row as a typed value. The error names the field that failed and shows the value.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_str(self.json()).map_err(|e| {
            let message = e.to_string();
            crate::error::truncate(crate::error::without_position(&message), 1000)
        })
    }

    /// The row's fields in the order sent, each value as its JSON text. `Err` when the row is not
    /// a JSON object.
    pub fn fields(&self) -> Result<Vec<(String, &serde_json::value::RawValue)>, String> {
        struct Fields<'a>(Vec<(String, &'a serde_json::value::RawValue)>);
        impl<'de> serde::Deserialize<'de> for Fields<'de> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Visit;
                impl<'de> serde::de::Visitor<'de> for Visit {
                    type Value = Fields<'de>;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a JSON object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Self::Value, A::Error> {
                        let mut fields = Vec::new();
                        while let Some(entry) =
                            map.next_entry::<String, &'de serde_json::value::RawValue>()?
                        {
                            fields.push(entry);
                        }
                        Ok(Fields(fields))
                    }
                }
                d.deserialize_map(Visit)
            }
        }
        serde_json::from_str::<Fields<'_>>(self.json())
            .map(|f| f.0)
            .map_err(|e| format!("a row must be a JSON object: {e}"))
    }

    /// The number in field `name` as an exact decimal, read from the JSON text (never through a
    /// float): `Ok(None)` when the field is absent or null, `Err` when it is not a number or does not
    /// fit a [`rust_decimal::Decimal`] exactly (28 significant digits).
    pub fn decimal(&self, name: &str) -> Result<Option<rust_decimal::Decimal>, String> {
        let fields = self.fields()?;
        match fields.iter().find(|(key, _)| key == name) {
            None => Ok(None),
            Some((_, value)) => {
                exact_decimal(value.get()).map_err(|e| format!("field `{name}`: {e}"))
            }
        }
    }
}

/// A JSON number's text as an exact decimal; `null` is `None`.
pub fn exact_decimal(text: &str) -> Result<Option<rust_decimal::Decimal>, String> {
    let text = text.trim();
    if text == "null" {
        return Ok(None);
    }
    let is_json_number = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && text
            .bytes()
            .next()
            .is_some_and(|b| b == b'-' || b.is_ascii_digit());
    if !is_json_number {
        return Err(format!(
            "{} is not a number",
            crate::error::truncate(text, 100)
        ));
    }
    let parsed = if text.contains(['e', 'E']) {
        rust_decimal::Decimal::from_scientific(text)
    } else {
        rust_decimal::Decimal::from_str_exact(text)
    };
    parsed.map(Some).map_err(|e| {
        format!(
            "{} cannot be held exactly as a decimal: {e}",
            crate::error::truncate(text, 100)
        )
    })
}

/// A 64-bit hash of a row's JSON text (SipHash-1-3 with fixed keys, as `std`'s `DefaultHasher`):
/// equal texts give equal fingerprints in every run of the same build; different texts almost
/// never collide. What [`Received`] compares, and what an export's checkpoint records of its last
/// row.
pub fn fingerprint(json: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    json.hash(&mut hasher);
    hasher.finish()
}

/// A row parsed as `T`, with a fingerprint of its JSON text exactly as received: two `Received`
/// rows are equal when their texts are (the fingerprint is a 64-bit hash of the text plus its
/// length), whatever `T` keeps of them.
///
/// The pager compares rows to catch pages that overlap or ignore the offset; a `T` that leaves
/// fields out (such as a union's `<Union>Common`) would make two resources that differ only in a
/// left-out field, such as their ID, look like one repeated row. [`Common`] streams its rows in this
/// wrapper so that the comparison sees every field the server sent.
///
/// It parses from a page read whole into memory (as the client reads every answer); a deserializer
/// that cannot lend out the row's text is an error.
#[derive(Clone, Debug)]
pub struct Received<T> {
    /// The parsed row.
    pub row: T,
    fingerprint: u64,
    length: usize,
}

impl<T> Received<T> {
    /// Wraps a row parsed from `json`, its text as received.
    pub fn new(row: T, json: &str) -> Self {
        Self {
            row,
            fingerprint: fingerprint(json),
            length: json.len(),
        }
    }

    /// The [`fingerprint`] of the row's text as received.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The parsed row.
    pub fn into_inner(self) -> T {
        self.row
    }
}

impl<T> std::ops::Deref for Received<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.row
    }
}

impl<T> PartialEq for Received<T> {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint && self.length == other.length
    }
}

impl<'de, T: serde::de::DeserializeOwned> serde::Deserialize<'de> for Received<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let text = <&'de serde_json::value::RawValue>::deserialize(deserializer)?;
        let row = T::deserialize(text).map_err(D::Error::custom)?;
        Ok(Self::new(row, text.get()))
    }
}

impl<T: serde::Serialize> serde::Serialize for Received<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.row.serialize(serializer)
    }
}

/// A page read by [`PagedRows::fetch_rows`]: the count and the rows, as `T`.
#[derive(Debug)]
pub struct RowsPage<R, T> {
    /// The report's row count, as claimed.
    pub count: i64,
    /// The rows.
    pub rows: Vec<T>,
    marker: std::marker::PhantomData<fn() -> R>,
}

impl<'de, R: PagedRows, T: serde::Deserialize<'de>> serde::Deserialize<'de> for RowsPage<R, T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<R, T>(std::marker::PhantomData<fn() -> (R, T)>);
        impl<'de, R: PagedRows, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visit<R, T> {
            type Value = RowsPage<R, T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(
                    f,
                    "an object with `{}` and `{}`",
                    R::COUNT_FIELD,
                    R::ITEMS_FIELD
                )
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                use serde::de::Error as _;
                let (mut count, mut rows) = (None, None);
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == R::COUNT_FIELD {
                        count = Some(map.next_value::<i64>()?);
                    } else if key == R::ITEMS_FIELD {
                        rows = Some(map.next_value::<Vec<T>>()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(RowsPage {
                    count: count.ok_or_else(|| A::Error::missing_field(R::COUNT_FIELD))?,
                    rows: rows.ok_or_else(|| A::Error::missing_field(R::ITEMS_FIELD))?,
                    marker: std::marker::PhantomData,
                })
            }
        }
        deserializer.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// Implements [`PagedOperation`] for a marker that reads `O`'s pages with another row type.
macro_rules! paged_as {
    ($wrapper:ident, $item:ty) => {
        impl<O: PagedRows> PagedOperation for $wrapper<O> {
            type Body = O::Body;
            type Page = RowsPage<O, $item>;
            type Item = $item;
            type Error = O::Error;
            const OPERATION_ID: &'static str = O::OPERATION_ID;

            fn limit(body: &Self::Body) -> u64 {
                O::limit(body)
            }

            fn offset(body: &Self::Body) -> i64 {
                O::offset(body)
            }

            fn with_window(body: &Self::Body, limit: u64, offset: u64) -> Result<Self::Body, String> {
                O::with_window(body, limit, offset)
            }

            fn fetch(
                client: &GeneratedClient,
                body: Self::Body,
            ) -> impl Future<Output = Result<ResponseValue<Self::Page>, GeneratedError<Self::Error>>>
            + Send
            + '_ {
                O::fetch_rows(client, body)
            }

            fn count(page: &Self::Page) -> i64 {
                page.count
            }

            fn into_items(page: Self::Page) -> Vec<Self::Item> {
                page.rows
            }
        }
    };
}

/// Operation `O` with its rows as [`RawRow`]s: `client.paginate::<Raw<paged::DetailedCostReport>,
/// _>(request, options)` streams the same rows as `O`, with the same checks, each kept as the
/// server's text. A type only; never built.
pub struct Raw<O>(
    std::marker::PhantomData<fn() -> O>,
    std::convert::Infallible,
);

paged_as!(Raw, RawRow);

/// Operation `O` with rows that have only the fields every row type has
/// ([`PagedRows::CommonItem`]), each in a [`Received`] that remembers a fingerprint of the whole
/// row: `client.paginate::<Common<paged::UsageReport>, _>(request, options)` streams the same rows
/// as `O`, with the same checks (overlaps are judged on the whole row, not on the fields kept), for
/// less work per row. A type only; never built.
pub struct Common<O>(
    std::marker::PhantomData<fn() -> O>,
    std::convert::Infallible,
);

paged_as!(Common, Received<O::CommonItem>);

/// How a report is paged through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageOptions {
    /// Rows per request, 1 to [`MAX_PAGE_SIZE`]. Default 1,000.
    pub page_size: u64,
    /// Requests in flight at once after the first page, 1 to [`MAX_CONCURRENCY`]. Default 1.
    pub concurrency: usize,
}

impl Default for PageOptions {
    fn default() -> Self {
        Self {
            page_size: 1000,
            concurrency: 1,
        }
    }
}

impl PageOptions {
    /// Sets the page size (rows per request).
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = page_size;
        self
    }

    /// Fetches up to `concurrency` pages at once once the total is known.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// `Err` with a sentence when a setting is out of range.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(format!(
                "page_size must be between 1 and {MAX_PAGE_SIZE}, got {}",
                self.page_size
            ));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(format!(
                "concurrency must be between 1 and {MAX_CONCURRENCY}, got {}",
                self.concurrency
            ));
        }
        Ok(())
    }
}

/// A window's limit or offset converted to the type the spec gave the request's field, or an error
/// naming the operation and the value when it does not fit. Called by the generated
/// [`PagedOperation::with_window`] implementations.
#[doc(hidden)]
pub fn window_value<T: TryFrom<u64>>(value: u64, operation_id: &str) -> Result<T, String> {
    T::try_from(value).map_err(|_| format!("{operation_id} {value} is out of range"))
}

/// A request's offset field as the pager reads it, whatever integer type the spec gave the field
/// (`i64`, `u64`, `u32`, ...): unset is 0, a value beyond `i64` reads as `i64::MAX`. Called by the
/// generated [`PagedOperation::offset`] implementations.
#[doc(hidden)]
pub fn offset_of<T: TryInto<i64>>(value: Option<T>) -> i64 {
    value.map_or(0, |v| v.try_into().unwrap_or(i64::MAX))
}

/// The windows `[offset, end)` that cover `from..count` in steps of `page_size`, computed one at a
/// time: nothing is allocated up front, whatever `count` claims. Empty when `page_size` is 0.
pub fn windows(from: u64, count: u64, page_size: u64) -> impl Iterator<Item = (u64, u64)> {
    let mut next = from;
    std::iter::from_fn(move || {
        if next >= count || page_size == 0 {
            return None;
        }
        let end = next.saturating_add(page_size).min(count);
        let window = (next, end);
        next = end;
        Some(window)
    })
}

/// A row count as u64 (lossless wherever usize is at most 64 bits; saturating elsewhere).
fn widen(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn pagination_error<R: PagedOperation>(message: String) -> Error {
    Error::Pagination {
        operation: R::OPERATION_ID,
        message,
    }
}

fn overlap_error<R: PagedOperation>(offset: u64, repeated: u64) -> Error {
    pagination_error::<R>(format!(
        "the page at offset {offset} starts with the row already read at offset {repeated}: the \
         server's pages overlap or ignore the offset"
    ))
}

/// A page's `count`, checked to be a possible number of rows.
fn checked_count<R: PagedOperation>(claimed: i64, offset: u64) -> Result<u64, Error> {
    u64::try_from(claimed).map_err(|_| {
        pagination_error::<R>(format!(
            "the page at offset {offset} claims a negative count ({claimed})"
        ))
    })
}

/// Sends one request for rows `offset..offset + limit` and returns the checked `count` and the rows,
/// which are never more than `limit`.
pub(crate) async fn fetch_page<R>(
    client: &GeneratedClient,
    request: &R::Body,
    limit: u64,
    offset: u64,
) -> Result<(u64, Vec<R::Item>), Error>
where
    R: PagedOperation<Error = ErrorResponse>,
{
    let body = R::with_window(request, limit, offset).map_err(|message| Error::InvalidRequest {
        operation: R::OPERATION_ID,
        message,
    })?;
    let page = crate::client::call(R::OPERATION_ID, R::fetch(client, body)).await?;
    let page = page.into_inner();
    let count = checked_count::<R>(R::count(&page), offset)?;
    let items = R::into_items(page);
    let delivered = widen(items.len());
    if delivered > limit {
        return Err(pagination_error::<R>(format!(
            "asked for at most {limit} rows at offset {offset}, got {delivered}"
        )));
    }
    if offset.saturating_add(delivered) > count {
        return Err(pagination_error::<R>(format!(
            "the page at offset {offset} has {delivered} rows, past the claimed count {count}"
        )));
    }
    Ok((count, items))
}

/// Fetches the whole window `offset..end` of a report of `count` rows, asking again for whatever a
/// short page left out.
async fn fetch_window<R>(
    client: GeneratedClient,
    request: R::Body,
    (offset, end): (u64, u64),
    count: u64,
) -> Result<Vec<R::Item>, Error>
where
    R: PagedOperation<Error = ErrorResponse>,
{
    let mut rows = Vec::new();
    let mut next = offset;
    while next < end {
        let (now, items) = fetch_page::<R>(&client, &request, end - next, next).await?;
        if now != count {
            return Err(pagination_error::<R>(format!(
                "count changed from {count} to {now} at offset {next}: the report changed while it \
                 was read, so rows may have shifted; read it again"
            )));
        }
        if items.is_empty() {
            return Err(pagination_error::<R>(format!(
                "empty page at offset {next}, but the claimed count is {count}"
            )));
        }
        // A follow-up after a short page must not start with a row this window already has.
        if let Some(at) = items
            .first()
            .and_then(|first| rows.iter().position(|r| r == first))
        {
            return Err(overlap_error::<R>(next, offset.saturating_add(widen(at))));
        }
        next = next.saturating_add(widen(items.len()));
        rows.extend(items);
    }
    Ok(rows)
}

/// Hands on each window once the next one has shown that it does not overlap: when the first row of
/// a window equals a row of the window before it, the stream ends with an error instead.
fn without_overlaps<R>(
    windows: BoxStream<'static, Result<Vec<R::Item>, Error>>,
    start: u64,
) -> BoxStream<'static, Result<R::Item, Error>>
where
    R: PagedOperation<Error = ErrorResponse>,
{
    struct State<T> {
        windows: BoxStream<'static, Result<Vec<T>, Error>>,
        held: Option<(u64, Vec<T>)>,
        handed_on: u64,
        done: bool,
    }
    let state = State {
        windows,
        held: None,
        handed_on: start,
        done: false,
    };
    stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        let release = |state: &mut State<R::Item>| -> Vec<Result<R::Item, Error>> {
            let rows = state.held.take().map(|(_, rows)| rows).unwrap_or_default();
            state.handed_on = state.handed_on.saturating_add(widen(rows.len()));
            rows.into_iter().map(Ok).collect()
        };
        match state.windows.next().await {
            None => {
                state.done = true;
                Some((release(&mut state), state))
            }
            Some(Err(error)) => {
                state.done = true;
                let mut out = release(&mut state);
                out.push(Err(error));
                Some((out, state))
            }
            Some(Ok(rows)) => {
                let overlap = match (&state.held, rows.first()) {
                    (Some((start, held)), Some(first)) => held
                        .iter()
                        .position(|row| row == first)
                        .map(|at| start.saturating_add(widen(at))),
                    _ => None,
                };
                if let Some(repeated) = overlap {
                    state.done = true;
                    let next = state
                        .held
                        .as_ref()
                        .map_or(0, |(start, held)| start.saturating_add(widen(held.len())));
                    let mut out = release(&mut state);
                    out.push(Err(overlap_error::<R>(next, repeated)));
                    return Some((out, state));
                }
                let start = state
                    .held
                    .as_ref()
                    .map_or(state.handed_on, |(start, held)| {
                        start.saturating_add(widen(held.len()))
                    });
                let out = release(&mut state);
                state.held = Some((start, rows));
                Some((out, state))
            }
        }
    })
    .flat_map(stream::iter)
    .boxed()
}

/// Every row from the request's offset to the end of the report, as a stream.
pub fn paginate<R>(
    client: GeneratedClient,
    request: R::Body,
    options: PageOptions,
) -> BoxStream<'static, Result<R::Item, Error>>
where
    R: PagedOperation<Error = ErrorResponse>,
{
    let invalid = |message: String| {
        stream::once(async move {
            Err(Error::InvalidRequest {
                operation: R::OPERATION_ID,
                message,
            })
        })
        .boxed()
    };
    if let Err(message) = options.check() {
        return invalid(message);
    }
    let Ok(start) = u64::try_from(R::offset(&request)) else {
        return invalid(format!(
            "offset must be 0 or more, got {}",
            R::offset(&request)
        ));
    };
    let page_size = options.page_size;
    let first = async move {
        let (count, items) = fetch_page::<R>(&client, &request, page_size, start).await?;
        if items.is_empty() && start < count {
            return Err(pagination_error::<R>(format!(
                "empty first page at offset {start}, but the claimed count is {count}"
            )));
        }
        let after_first = start.saturating_add(widen(items.len()));
        let rest = stream::iter(windows(after_first, count, page_size))
            .map(move |window| fetch_window::<R>(client.clone(), request.clone(), window, count))
            .buffered(options.concurrency);
        Ok(stream::once(async move { Ok(items) }).chain(rest))
    };
    let all_windows = stream::once(first)
        .flat_map(|result| match result {
            Ok(windows) => windows.boxed(),
            Err(e) => stream::iter([Err(e)]).boxed(),
        })
        .boxed();
    without_overlaps::<R>(all_windows, start)
}

/// The `Client` methods of any paged operation: here, beside the pager they drive, so that the
/// client's module does not depend on this one (this one calls the client's `call`).
impl crate::Client {
    /// How many rows a paged report has, from one request for a single row (the request's own
    /// `limit` and `offset` are ignored). For a progress bar, or to check that a report has not
    /// changed before resuming an export of it.
    ///
    /// `O` names the operation, a marker from [`crate::paged`]:
    /// `client.count::<paged::UsageReport, _>(request)`.
    pub async fn count<O, B>(&self, body: B) -> Result<u64, Error>
    where
        O: PagedOperation<Error = ErrorResponse>,
        O::Body: crate::validate::Validate,
        B: TryInto<O::Body>,
        B::Error: std::fmt::Display,
    {
        let request: O::Body = crate::client::prepare(O::OPERATION_ID, body)?;
        let (count, _) = fetch_page::<O>(&self.raw, &request, 1, 0).await?;
        Ok(count)
    }

    /// Every row of any paged operation (those with `x-gcore-pagination` in the spec), as a stream.
    /// Invalid input is the stream's only item.
    ///
    /// `O` names the operation, a marker from [`crate::paged`], or [`crate::pagination::Raw`] /
    /// [`crate::pagination::Common`] of one for other row types:
    /// `client.paginate::<Raw<paged::DetailedCostReport>, _>(request, options)`. The generated
    /// `<operation>_stream` methods call this.
    pub fn paginate<O, B>(
        &self,
        body: B,
        options: PageOptions,
    ) -> BoxStream<'static, Result<O::Item, Error>>
    where
        O: PagedOperation<Error = ErrorResponse>,
        O::Body: crate::validate::Validate,
        B: TryInto<O::Body>,
        B::Error: std::fmt::Display,
    {
        match crate::client::prepare::<O::Body, B>(O::OPERATION_ID, body) {
            Ok(request) => paginate::<O>(self.raw.clone(), request, options),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::windows;

    #[test]
    fn windows_cover_the_range_in_order_and_are_lazy() {
        let all: Vec<_> = windows(5, 2500, 1000).collect();
        assert_eq!(all, [(5, 1005), (1005, 2005), (2005, 2500)]);
        assert_eq!(windows(10, 10, 3).count(), 0);
        assert_eq!(windows(0, 10, 0).count(), 0);
        // A count of 10^15 plans nothing up front: taking two windows is instant and allocates nothing.
        let huge: Vec<_> = windows(5, 1_000_000_000_000_000, 1000).take(2).collect();
        assert_eq!(huge, [(5, 1005), (1005, 2005)]);
        // No overflow at the top of the range.
        let top: Vec<_> = windows(u64::MAX - 3, u64::MAX, u64::MAX).collect();
        assert_eq!(top, [(u64::MAX - 3, u64::MAX)]);
    }
}
