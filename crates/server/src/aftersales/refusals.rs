//! Refusals of after-sales: stable codes, worded by the message catalogues (`messages/*.ftl`).

use minimall_core::error::Label;

minimall_core::coded_enum! {
    /// Why after-sales refused a request.
    pub enum AftersaleRefusal {
        NoPayment = "aftersales.no_payment",
        NoSuchLine = "aftersales.no_such_line",
        NotShipped = "aftersales.not_shipped",
        UnitsTaken = "aftersales.units_taken",
        OrderNotEligible { status: Label } = "aftersales.order_not_eligible",
        RequestIs { status: Label } = "aftersales.request_is",
        UnitsLeft { available: i64 } = "aftersales.units_left",
    }
}
