//! Refusals of after-sales: stable codes, worded by the message catalogues (`messages/*.ftl`).

minimall_core::coded_enum! {
    /// Why after-sales refused a request.
    pub enum AftersaleRefusal {
        NoPayment = "aftersales.no_payment",
        NoSuchLine = "aftersales.no_such_line",
        NotShipped = "aftersales.not_shipped",
        UnitsTaken = "aftersales.units_taken",
    }
}
