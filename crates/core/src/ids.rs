//! Ids of the main domains' rows, one type per kind of row, so that a product's id cannot be passed where an
//! order's is asked for. Each wraps the row's `BIGINT` key; the store binds and reads them as that integer
//! (the `sqlx` feature, which only the store enables), and the wire shows them as plain numbers.

use std::fmt;
use std::str::FromStr;

macro_rules! ids {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                $name(id)
            }

            /// The row's key.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                $name(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl PartialEq<i64> for $name {
            fn eq(&self, other: &i64) -> bool {
                self.0 == *other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

ids! {
    /// An order (`orders.id`).
    OrderId,
    /// A stock-keeping unit (`skus.id`).
    SkuId,
    /// A product (`products.id`).
    ProductId,
    /// A buyer (`buyers.id`).
    BuyerId,
    /// A merchant (`merchants.id`), the owner of every merchant-owned row.
    MerchantId,
}

#[cfg(feature = "sqlx")]
mod sql {
    //! Bound and read as the integer key (the ids) or the stored text (statuses), on every database.
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::{Database, Decode, Encode, Type};

    use super::*;
    use crate::orders::OrderStatus;

    macro_rules! as_i64 {
        ($($name:ident),*) => {$(
            impl<DB: Database> Type<DB> for $name
            where
                i64: Type<DB>,
            {
                fn type_info() -> DB::TypeInfo {
                    <i64 as Type<DB>>::type_info()
                }
                fn compatible(ty: &DB::TypeInfo) -> bool {
                    <i64 as Type<DB>>::compatible(ty)
                }
            }

            impl<'q, DB: Database> Encode<'q, DB> for $name
            where
                i64: Encode<'q, DB>,
            {
                fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
                    <i64 as Encode<'q, DB>>::encode_by_ref(&self.0, buf)
                }
            }

            impl<'r, DB: Database> Decode<'r, DB> for $name
            where
                i64: Decode<'r, DB>,
            {
                fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                    <i64 as Decode<'r, DB>>::decode(value).map($name)
                }
            }
        )*};
    }

    as_i64!(OrderId, SkuId, ProductId, BuyerId, MerchantId);

    impl<DB: Database> Type<DB> for OrderStatus
    where
        String: Type<DB>,
    {
        fn type_info() -> DB::TypeInfo {
            <String as Type<DB>>::type_info()
        }
        fn compatible(ty: &DB::TypeInfo) -> bool {
            <String as Type<DB>>::compatible(ty)
        }
    }

    impl<'q, DB: Database> Encode<'q, DB> for OrderStatus
    where
        &'q str: Encode<'q, DB>,
    {
        fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
            <&'q str as Encode<'q, DB>>::encode(self.as_str(), buf)
        }
    }

    impl<'r, DB: Database> Decode<'r, DB> for OrderStatus
    where
        String: Decode<'r, DB>,
    {
        fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
            let s = <String as Decode<'r, DB>>::decode(value)?;
            OrderStatus::parse(&s).ok_or_else(|| format!("order status {s:?} is not one of the state machine's").into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_key() {
        let id = OrderId::from(42);
        assert_eq!(id.get(), 42);
        assert_eq!(i64::from(id), 42);
        assert_eq!(id.to_string(), "42");
        assert_eq!("42".parse::<OrderId>(), Ok(id));
        assert_eq!(id, 42);
    }
}
