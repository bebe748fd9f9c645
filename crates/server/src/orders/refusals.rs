//! Refusals of orders: stable codes, worded by the message catalogues (`messages/*.ftl`).

use minimall_core::error::Label;
use minimall_core::Money;

minimall_core::coded_enum! {
    /// Why orders refused a request.
    pub enum OrderRefusal {
        AlreadyPickedUp = "orders.already_picked_up",
        BadShipLine = "orders.bad_ship_line",
        ChangedMeanwhile = "orders.changed_meanwhile",
        ChooseAddress = "orders.choose_address",
        ChooseSpec = "orders.choose_spec",
        ChooseStore = "orders.choose_store",
        CouponGone = "orders.coupon_gone",
        NoLines = "orders.no_lines",
        NotAStatus = "orders.not_a_status",
        NotOnShelf = "orders.not_on_shelf",
        NotPickup = "orders.not_pickup",
        NothingToOrder = "orders.nothing_to_order",
        NothingToShip = "orders.nothing_to_ship",
        PayExpired = "orders.pay_expired",
        PaymentOtherProvider = "orders.payment_other_provider",
        PickupCodeFormat = "orders.pickup_code_format",
        SandboxNoSecret = "orders.sandbox_no_secret",
        SandboxPayOff = "orders.sandbox_pay_off",
        ShipTooMany = "orders.ship_too_many",
        StorePhoneHours = "orders.store_phone_hours",
        TooLong = "orders.too_long",
        TooManyStores = "orders.too_many_stores",
        UnsupportedEvent = "orders.unsupported_event",
        WechatNeedsOpenid = "orders.wechat_needs_openid",
        WechatPayOff = "orders.wechat_pay_off",
        CannotHandOver { status: Label } = "orders.cannot_hand_over",
        CannotCancel { status: Label } = "orders.cannot_cancel",
        CannotPay { status: Label } = "orders.cannot_pay",
        WechatPayFailed = "orders.wechat_pay_failed",
        OnlyLeft { have: i64 } = "orders.only_left",
        PickupNotReady { status: Label } = "orders.pickup_not_ready",
        AmountMismatch { notified_fen: Money, payment_fen: Money } = "orders.amount_mismatch",
        NotificationRefused = "orders.notification_refused",
        ChooseTrackKind = "orders.choose_track_kind",
    }
}
