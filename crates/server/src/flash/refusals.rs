//! Refusals of flash sales: stable codes, worded by the message catalogues (`messages/*.ftl`).

minimall_core::coded_enum! {
    /// Why flash sales refused a request.
    pub enum FlashRefusal {
        AlreadyEnded = "flash.already_ended",
        ChooseSku = "flash.choose_sku",
        Ended = "flash.ended",
        FirstFailed = "flash.first_failed",
        GateUnavailable = "flash.gate_unavailable",
        InFuture = "flash.in_future",
        NeedSku = "flash.need_sku",
        NotSkuOfSale = "flash.not_sku_of_sale",
        ShuttingDown = "flash.shutting_down",
        WriterStopped = "flash.writer_stopped",
    }
}
