//! Pagination of every list: `page` from 1, `page_size` capped.

use crate::error::Reason;
use crate::FieldError;

pub const DEFAULT_PAGE_SIZE: i64 = 20;
pub const MAX_PAGE_SIZE: i64 = 100;
/// Deep pages are refused rather than scanned: 10,000 pages of 100.
pub const MAX_PAGE: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    page: i64,
    size: i64,
}

impl Page {
    pub fn parse(page: Option<i64>, page_size: Option<i64>) -> Result<Self, FieldError> {
        let page = page.unwrap_or(1);
        let size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(FieldError::new("page", Reason::OutOfRange { min: 1, max: MAX_PAGE }));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(FieldError::new("page_size", Reason::OutOfRange { min: 1, max: MAX_PAGE_SIZE }));
        }
        Ok(Page { page, size })
    }

    pub fn first(size: i64) -> Self {
        Page { page: 1, size: size.clamp(1, MAX_PAGE_SIZE) }
    }

    pub fn page(self) -> i64 {
        self.page
    }
    pub fn size(self) -> i64 {
        self.size
    }
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(Page::parse(None, None).unwrap().offset(), 0);
        assert_eq!(Page::parse(Some(3), Some(10)).unwrap().offset(), 20);
        assert_eq!(Page::parse(Some(0), None).unwrap_err().field, "page");
        assert_eq!(Page::parse(None, Some(1000)).unwrap_err().field, "page_size");
        assert_eq!(Page::parse(None, Some(0)).unwrap_err().field, "page_size");
    }
}
