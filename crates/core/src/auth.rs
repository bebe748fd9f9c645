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
    /// Revenue, costs, ledgers, payouts.
    ReadFinance,
    /// Shop settings: payment providers, banned words, freight, stores.
    ManageSettings,
    /// Verify pick-up codes (核销) at a store.
    VerifyPickup,
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

    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Operator => matches!(
                p,
                Session
                    | ReadBuyers
                    | ReadMessages
                    | ManageJobs
                    | ManageCatalog
                    | ReadCatalog
                    | ReadOrders
                    | ManageOrders
            ),
            Role::Finance => matches!(p, Session | ReadFinance | ReadOrders | ReadCatalog | ReadAudit),
            Role::Service => matches!(p, Session | ReadBuyers | ReadMessages | ReadOrders | ManageOrders | ReadCatalog),
            Role::Clerk => matches!(p, Session | VerifyPickup),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(Role::Owner),
            "operator" => Ok(Role::Operator),
            "finance" => Ok(Role::Finance),
            "service" => Ok(Role::Service),
            "clerk" => Ok(Role::Clerk),
            other => Err(format!("unknown role '{other}' (owner, operator, finance, service, clerk)")),
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
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
