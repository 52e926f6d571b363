//! The verdict for one connection: tiers in order (AdminNetworkPolicy, NetworkPolicy,
//! BaselineAdminNetworkPolicy), each direction on its own, both ends must allow.

use super::ip::IpRange;
use super::model::{Class, Model};
use super::policy::{Action, Dir};
use super::ports::ConnSet;

/// One end of a connection: a class of workloads or an external address range.
#[derive(Clone, Copy, Debug)]
pub enum Side<'a> {
    Class(u32),
    External(&'a IpRange),
    /// The cluster's ingress controller (see [`super::ingress`]); only a source.
    IngressController,
}

/// Why part of the connection space got its verdict in one direction.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// An AdminNetworkPolicy or BaselineAdminNetworkPolicy rule matched these connections.
    Admin {
        rule: u32,
        action: Action,
        conns: ConnSet,
    },
    /// A NetworkPolicy rule allows these connections (rules may overlap).
    Allowed { rule: u32, conns: ConnSet },
    /// The endpoint is isolated by these NetworkPolicies and no rule allows these connections.
    Isolated { policies: Vec<u32>, conns: ConnSet },
    /// No policy isolates the endpoint in this direction (and no baseline rule matched).
    Default { conns: ConnSet },
}

impl Model {
    pub(crate) fn class(&self, c: u32) -> &Class {
        &self.classes[c as usize]
    }

    fn matches(&self, rule: u32, peer: Side<'_>) -> bool {
        let r = &self.rules[rule as usize];
        match peer {
            Side::Class(c) => r.members.contains(c),
            Side::External(range) => r.peer_matches_range(range),
            Side::IngressController => super::ingress::rule_admits(self, r),
        }
    }

    /// Connections allowed in `dir` at `subject` (the class the policies select) with `peer`
    /// at the other end. `dst` is the destination class, where named ports resolve.
    pub fn direction(
        &self,
        dir: Dir,
        subject: u32,
        peer: Side<'_>,
        mut trace: Option<&mut Vec<Step>>,
    ) -> ConnSet {
        let cr = &self.per_class[subject as usize];
        let dst: Option<&Class> = match (dir, peer) {
            (Dir::Ingress, _) => Some(self.class(subject)),
            (Dir::Egress, Side::Class(c)) => Some(self.class(c)),
            (Dir::Egress, Side::External(_) | Side::IngressController) => None,
        };
        let (admin, np_pols, np_rules, base) = match dir {
            Dir::Ingress => (&cr.admin_in, &cr.np_in, &cr.np_in_rules, &cr.base_in),
            Dir::Egress => (&cr.admin_eg, &cr.np_eg, &cr.np_eg_rules, &cr.base_eg),
        };
        // Fast paths: nothing but NetworkPolicy.
        if admin.is_empty() && base.is_empty() && trace.is_none() {
            if np_pols.is_empty() {
                return ConnSet::all();
            }
            let mut allowed = ConnSet::none();
            for &r in np_rules {
                if self.matches(r, peer) {
                    let rule = &self.rules[r as usize];
                    allowed.union_with(&rule.conns_at(dst));
                    if allowed.is_all() {
                        break;
                    }
                }
            }
            return allowed;
        }
        let mut allowed = ConnSet::none();
        let mut rest = ConnSet::all();
        let mut passed = ConnSet::none();
        // Admin tier: first matching rule wins for each connection.
        for &r in admin {
            if rest.is_empty() {
                break;
            }
            if !self.matches(r, peer) {
                continue;
            }
            let rule = &self.rules[r as usize];
            let hit = rule.conns_at(dst).intersect(&rest);
            if hit.is_empty() {
                continue;
            }
            rest = rest.subtract(&hit);
            match rule.action {
                Action::Allow => allowed.union_with(&hit),
                Action::Pass => passed.union_with(&hit),
                Action::Deny => {}
            }
            if let Some(t) = trace.as_deref_mut() {
                t.push(Step::Admin {
                    rule: r,
                    action: rule.action,
                    conns: hit,
                });
            }
        }
        // Passed and unmatched connections reach NetworkPolicy.
        rest.union_with(&passed);
        if rest.is_empty() {
            return allowed;
        }
        if !np_pols.is_empty() {
            let mut np_allowed = ConnSet::none();
            for &r in np_rules {
                if !self.matches(r, peer) {
                    continue;
                }
                let rule = &self.rules[r as usize];
                let hit = rule.conns_at(dst).intersect(&rest);
                if hit.is_empty() {
                    continue;
                }
                np_allowed.union_with(&hit);
                if let Some(t) = trace.as_deref_mut() {
                    t.push(Step::Allowed {
                        rule: r,
                        conns: hit,
                    });
                }
            }
            let denied = rest.subtract(&np_allowed);
            if let Some(t) = trace.as_deref_mut() {
                if !denied.is_empty() {
                    t.push(Step::Isolated {
                        policies: np_pols.clone(),
                        conns: denied,
                    });
                }
            }
            allowed.union_with(&np_allowed);
            return allowed;
        }
        // Not isolated by NetworkPolicy: the baseline tier, then the default (allow).
        for &r in base {
            if rest.is_empty() {
                break;
            }
            if !self.matches(r, peer) {
                continue;
            }
            let rule = &self.rules[r as usize];
            let hit = rule.conns_at(dst).intersect(&rest);
            if hit.is_empty() {
                continue;
            }
            rest = rest.subtract(&hit);
            if rule.action == Action::Allow {
                allowed.union_with(&hit);
            }
            if let Some(t) = trace.as_deref_mut() {
                t.push(Step::Admin {
                    rule: r,
                    action: rule.action,
                    conns: hit,
                });
            }
        }
        if !rest.is_empty() {
            if let Some(t) = trace {
                t.push(Step::Default {
                    conns: rest.clone(),
                });
            }
            allowed.union_with(&rest);
        }
        allowed
    }

    /// Connections allowed from `src` to `dst` (at least one side is a class).
    pub fn allowed(&self, src: Side<'_>, dst: Side<'_>) -> ConnSet {
        let eg = match src {
            Side::Class(s) => self.direction(Dir::Egress, s, dst, None),
            Side::External(_) | Side::IngressController => ConnSet::all(),
        };
        if eg.is_empty() {
            return eg;
        }
        let ing = match dst {
            Side::Class(d) => self.direction(Dir::Ingress, d, src, None),
            Side::External(_) | Side::IngressController => ConnSet::all(),
        };
        eg.intersect(&ing)
    }

    /// Whether `class` is isolated by some NetworkPolicy in `dir`.
    pub fn isolated(&self, dir: Dir, class: u32) -> bool {
        let cr = &self.per_class[class as usize];
        match dir {
            Dir::Ingress => !cr.np_in.is_empty(),
            Dir::Egress => !cr.np_eg.is_empty(),
        }
    }

    /// Whether any admin or baseline rule applies to `class` in `dir`.
    pub fn has_admin(&self, dir: Dir, class: u32) -> bool {
        let cr = &self.per_class[class as usize];
        match dir {
            Dir::Ingress => !cr.admin_in.is_empty() || !cr.base_in.is_empty(),
            Dir::Egress => !cr.admin_eg.is_empty() || !cr.base_eg.is_empty(),
        }
    }
}
