//! Refusals of promotions: stable codes, worded by the message catalogues (`messages/*.ftl`).

minimall_core::coded_enum! {
    /// Why promotions refused a request.
    pub enum PromotionRefusal {
        ActivityEnded = "promotions.activity_ended",
        AllClaimed = "promotions.all_claimed",
        CouponChanged = "promotions.coupon_changed",
        CouponExpired = "promotions.coupon_expired",
        CouponStopped = "promotions.coupon_stopped",
        LimitReached = "promotions.limit_reached",
        NotClaimable = "promotions.not_claimable",
        NotInWallet = "promotions.not_in_wallet",
        OffShelf = "promotions.off_shelf",
        TooManyTemplates = "promotions.too_many_templates",
        BelowIssued { issued: i64 } = "promotions.below_issued",
        Overlaps { id: i64, name: String, skus: i64 } = "promotions.overlaps",
    }
}
