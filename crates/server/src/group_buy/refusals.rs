//! Refusals of group buying: stable codes, worded by the message catalogues (`messages/*.ftl`).

minimall_core::coded_enum! {
    /// Why group buying refused a request.
    pub enum GroupBuyRefusal {
        ChangedMeanwhile = "group_buy.changed_meanwhile",
        ChooseSku = "group_buy.choose_sku",
        Stopped = "group_buy.stopped",
    }
}
