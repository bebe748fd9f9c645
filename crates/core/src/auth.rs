//! Who may do what. Every admin route names one [`Permission`]; roles grant sets of them.

use std::fmt;
use std::str::FromStr;

/// Console roles. `Owner` may do everything inside their merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Operator,
    Finance,
    Service,
    /// Store staff (店员): verifies pick-up codes at a store.
    Clerk,
}

/// A capability checked at the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read one's own profile, log out.
    Session,
    /// Create, disable and list console users; change roles.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
    /// Read buyers (profiles, tags).
    ReadBuyers,
    /// Read the message outbox.
    ReadMessages,
    /// Read and retry background jobs.
    ManageJobs,
    /// Products, categories, stock, activities.
    ManageCatalog,
    /// Read the catalog in the console.
    ReadCatalog,
    /// Orders: read.
    ReadOrders,
    /// Orders: ship, handle after-sales.
    ManageOrders,
    /// The finance page: ledgers, fees, payouts.
    ReadFinance,
    /// Finance writes: operating expenses, staff counts, statement imports.
    ManageFinance,
    /// Revenue figures: GMV, average order value, an order's paid and refunded amounts, payments and refunds.
    ReadRevenue,
    /// Cost prices of SKUs.
    ReadCost,
    /// Shop settings: payment providers, banned words, freight, stores.
    ManageSettings,
    /// Verify pick-up codes (核销) at a store.
    VerifyPickup,
    /// Member levels, points rules and adjustments, tags and segments.
    ManageMembers,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Owner, Role::Operator, Role::Finance, Role::Service, Role::Clerk];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Operator => "operator",
            Role::Finance => "finance",
            Role::Service => "service",
            Role::Clerk => "clerk",
        }
    }

    /// Chinese label shown in the console.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Owner => "店主",
            Role::Operator => "运营",
            Role::Finance => "财务",
            Role::Service => "客服",
            Role::Clerk => "店员",
        }
    }

    /// What the role may do in a shop that keeps the defaults ([`ShopRoles::default`]).
    pub fn allows(self, p: Permission) -> bool {
        self.allows_in(p, ShopRoles::default())
    }

    /// The one table of who may do what, with what the shop decided about its roles.
    pub fn allows_in(self, p: Permission, shop: ShopRoles) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Operator => {
                matches!(
                    p,
                    Session
                        | ReadBuyers
                        | ReadMessages
                        | ManageJobs
                        | ManageCatalog
                        | ReadCatalog
                        | ReadOrders
                        | ManageOrders
                        | ReadRevenue
                        | ManageMembers
                ) || (p == ReadCost && shop.operator_reads_cost)
            }
            Role::Finance => {
                matches!(
                    p,
                    Session
                        | ReadFinance
                        | ManageFinance
                        | ReadRevenue
                        | ReadCost
                        | ReadOrders
                        | ReadCatalog
                        | ReadAudit
                )
            }
            Role::Service => matches!(p, Session | ReadBuyers | ReadMessages | ReadOrders | ManageOrders | ReadCatalog),
            Role::Clerk => matches!(p, Session | VerifyPickup),
        }
    }
}

/// What a shop decides about its roles beyond the fixed table (set by the owner).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShopRoles {
    /// Operators (运营) see cost prices too.
    pub operator_reads_cost: bool,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = crate::error::Reason;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(Role::Owner),
            "operator" => Ok(Role::Operator),
            "finance" => Ok(Role::Finance),
            "service" => Ok(Role::Service),
            "clerk" => Ok(Role::Clerk),
            _ => Err(crate::error::Reason::OneOf { allowed: "owner, operator, finance, service, clerk".into() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owner_manages_users() {
        for r in Role::ALL {
            assert_eq!(r.allows(Permission::ManageUsers), r == Role::Owner);
        }
    }

    #[test]
    fn service_never_sees_finance() {
        assert!(!Role::Service.allows(Permission::ReadFinance));
        assert!(!Role::Operator.allows(Permission::ReadFinance));
        assert!(Role::Finance.allows(Permission::ReadFinance));
    }

    #[test]
    fn revenue_and_cost_by_role() {
        use Permission::{ReadCost, ReadRevenue};
        let custom = ShopRoles { operator_reads_cost: true };
        for (role, revenue, cost, cost_if_shop_says) in [
            (Role::Owner, true, true, true),
            (Role::Finance, true, true, true),
            (Role::Operator, true, false, true),
            (Role::Service, false, false, false),
            (Role::Clerk, false, false, false),
        ] {
            assert_eq!(role.allows(ReadRevenue), revenue, "{role}");
            assert_eq!(role.allows_in(ReadRevenue, custom), revenue, "{role}");
            assert_eq!(role.allows(ReadCost), cost, "{role}");
            assert_eq!(role.allows_in(ReadCost, custom), cost_if_shop_says, "{role}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
