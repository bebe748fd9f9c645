//! Refusals of members: stable codes, worded by the message catalogues (`messages/*.ftl`).

minimall_core::coded_enum! {
    /// Why members refused a request.
    pub enum MemberRefusal {
        BirthdayRange = "members.birthday_range",
        CouponLimit = "members.coupon_limit",
        CouponNotIssued = "members.coupon_not_issued",
        DateFormat = "members.date_format",
        DaysOrder = "members.days_order",
        FewerPoints = "members.fewer_points",
        IdsOrFilter = "members.ids_or_filter",
        MonthFormat = "members.month_format",
        NoSuchLevel = "members.no_such_level",
        NoSuchMonth = "members.no_such_month",
        PointsGranted = "members.points_granted",
        SegmentNameTaken = "members.segment_name_taken",
        SignedInToday = "members.signed_in_today",
        SoldOut = "members.sold_out",
        StockBelowZero = "members.stock_below_zero",
        TagNameTaken = "members.tag_name_taken",
        WholeNumbers = "members.whole_numbers",
        PerBuyerLimit { limit: i64 } = "members.per_buyer_limit",
        NoSuchBuyer { id: i64 } = "members.no_such_buyer",
    }
}
