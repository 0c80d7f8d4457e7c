//! Streams every row of a paged report. Which operations are paged, and by which fields, comes from
//! `x-gcore-pagination` in the spec: the generator implements [`PagedRequest`] for their request types.
//!
//! The first page tells `count`; the remaining rows are cut into windows of `page_size` that are
//! fetched one at a time or `concurrency` at a time (in order either way). A window that comes back
//! short is completed with follow-up requests, an empty page before `count` rows is an error, and the
//! first error ends the stream: no row is lost, repeated, or silently skipped.

use std::future::Future;

use futures::stream::{self, BoxStream, StreamExt};

use crate::Error;
use crate::generated::{Client as GeneratedClient, Error as GeneratedError, ResponseValue};
use crate::types::ErrorResponse;

/// A request body that pages with a limit and an offset. Implemented by generated code.
pub trait PagedRequest: Clone + Send + Sync + 'static {
    /// One page of the answer.
    type Page: Send;
    /// One row.
    type Item: Send + 'static;
    /// The documented error body.
    type Error: Send;
    /// The spec's `operationId`.
    const OPERATION_ID: &'static str;
    /// The request's page size.
    fn limit(&self) -> u64;
    /// The request's first row.
    fn offset(&self) -> u64;
    /// A copy of the request for another window.
    fn with_window(&self, limit: u64, offset: u64) -> Result<Self, String>;
    /// Sends the request.
    fn fetch(
        client: &GeneratedClient,
        body: Self,
    ) -> impl Future<Output = Result<ResponseValue<Self::Page>, GeneratedError<Self::Error>>> + Send + '_;
    /// Rows in the whole report.
    fn count(page: &Self::Page) -> u64;
    /// The rows of this page.
    fn into_items(page: Self::Page) -> Vec<Self::Item>;
}

/// How a report is paged through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageOptions {
    /// Rows per request. Default 1,000.
    pub page_size: u64,
    /// Requests in flight at once after the first page. Default 1 (sequential).
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
}

/// Sends one request for rows `offset..offset + limit` and returns `count` and the rows.
async fn fetch_page<R>(
    client: &GeneratedClient,
    request: &R,
    limit: u64,
    offset: u64,
) -> Result<(u64, Vec<R::Item>), Error>
where
    R: PagedRequest<Error = ErrorResponse>,
{
    let body = request
        .with_window(limit, offset)
        .map_err(|message| Error::InvalidRequest {
            operation: R::OPERATION_ID,
            message,
        })?;
    let page = crate::client::call(R::OPERATION_ID, R::fetch(client, body)).await?;
    let page = page.into_inner();
    Ok((R::count(&page), R::into_items(page)))
}

/// Fetches the whole window `offset..end`, asking again for whatever a short page left out.
async fn fetch_window<R>(
    client: GeneratedClient,
    request: R,
    offset: u64,
    end: u64,
) -> Result<Vec<R::Item>, Error>
where
    R: PagedRequest<Error = ErrorResponse>,
{
    let mut rows = Vec::with_capacity((end - offset) as usize);
    let mut next = offset;
    while next < end {
        let (_, items) = fetch_page(&client, &request, end - next, next).await?;
        if items.is_empty() {
            return Err(Error::Pagination {
                operation: R::OPERATION_ID,
                message: format!(
                    "empty page at offset {next}, but the report has rows up to {end}"
                ),
            });
        }
        let taken = (items.len() as u64).min(end - next);
        rows.extend(items.into_iter().take(taken as usize));
        next += taken;
    }
    Ok(rows)
}

/// Every row from `request.offset()` to the end of the report, as a stream.
pub fn paginate<R>(
    client: GeneratedClient,
    request: R,
    options: PageOptions,
) -> BoxStream<'static, Result<R::Item, Error>>
where
    R: PagedRequest<Error = ErrorResponse>,
{
    if options.page_size == 0 || options.concurrency == 0 {
        let message = "page_size and concurrency must be at least 1".to_string();
        return stream::once(async move {
            Err(Error::InvalidRequest {
                operation: R::OPERATION_ID,
                message,
            })
        })
        .boxed();
    }
    let page_size = options.page_size;
    let start = request.offset();
    let first = async move {
        let (count, items) = fetch_page(&client, &request, page_size, start).await?;
        let after_first = start + items.len() as u64;
        if items.is_empty() && start < count {
            return Err(Error::Pagination {
                operation: R::OPERATION_ID,
                message: format!("empty first page at offset {start}, but count is {count}"),
            });
        }
        let windows: Vec<(u64, u64)> = (after_first..count)
            .step_by(page_size as usize)
            .map(|offset| (offset, (offset + page_size).min(count)))
            .collect();
        let rest = stream::iter(windows)
            .map(move |(offset, end)| fetch_window(client.clone(), request.clone(), offset, end))
            .buffered(options.concurrency);
        Ok((items, rest))
    };
    stream::once(first)
        .flat_map(|result| match result {
            Ok((items, rest)) => stream::iter(items.into_iter().map(Ok))
                .chain(rest.flat_map(|window| match window {
                    Ok(rows) => stream::iter(rows.into_iter().map(Ok)).boxed(),
                    Err(e) => stream::iter([Err(e)]).boxed(),
                }))
                .boxed(),
            Err(e) => stream::iter([Err(e)]).boxed(),
        })
        .scan(false, |failed, item| {
            // The first error ends the stream.
            let out = if *failed { None } else { Some(item) };
            *failed |= matches!(out, Some(Err(_)));
            futures::future::ready(out)
        })
        .boxed()
}
