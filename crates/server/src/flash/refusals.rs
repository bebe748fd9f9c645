//! Refusals of flash sales: stable codes, worded by the message catalogues (`messages/*.ftl`).

minimall_core::coded_enum! {
    /// Why flash sales refused a request.
    pub enum FlashRefusal {
        AlreadyEnded = "flash.already_ended",
        ChooseSku = "flash.choose_sku",
        SaleEnded = "flash.sale_ended",
        FirstFailed = "flash.first_failed",
        GateUnavailable = "flash.gate_unavailable",
        InFuture = "flash.in_future",
        NeedSku = "flash.need_sku",
        NotSkuOfSale = "flash.not_sku_of_sale",
        ShuttingDown = "flash.shutting_down",
        WriterStopped = "flash.writer_stopped",
        SkuInOtherSale { other: i64 } = "flash.sku_in_other_sale",
        SkuAlreadyInSale { sku: i64, other: i64 } = "flash.sku_already_in_sale",
        UnpaidMinutes { min: i64, max: i64 } = "flash.unpaid_minutes",
        RedisUnavailable { retry_after_secs: i64 } = "flash.redis_unavailable",
    }
}
