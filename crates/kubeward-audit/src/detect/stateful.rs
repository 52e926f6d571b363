//! The detections that keep state across events: bursts of refused requests (KW-AUD-018),
//! source ranges (KW-AUD-019) and user agents per service account (KW-AUD-020). All state is
//! bounded by `audit.max_tracked_keys`.

use super::{Ctx, NO_TIME, rules};
use crate::settings::UserAgentMatch;
use std::collections::VecDeque;
use std::net::IpAddr;

impl Ctx<'_, '_, '_> {
    pub(super) fn auth_failures(&mut self) {
        let e = self.e;
        let Some(code) = e.auth_failure() else { return };
        if !self.on(&rules::AUTH_FAILURE_BURST) {
            return;
        }
        let Some(t) = e.time_micros() else {
            self.undecided(&rules::AUTH_FAILURE_BURST, NO_TIME);
            return;
        };
        let _ = code;
        let window = self.a.settings.auth_failure_window_micros;
        let threshold = self.a.settings.auth_failure_threshold as usize;
        let mut keys = vec![format!("user {}", e.subject())];
        for ip in &e.source_ips {
            keys.push(format!("source IP {ip}"));
        }
        for key in keys {
            let cap = self.a.settings.max_tracked_keys;
            let map = &mut self.a.state.failures;
            if !map.contains_key(&key) && map.len() >= cap {
                // Forget keys whose window has passed, then give up on this one.
                map.retain(|_, (q, _)| q.back().is_some_and(|last| *last > t - window));
                if map.len() >= cap {
                    self.a.summary.state_evictions += 1;
                    continue;
                }
            }
            let (q, last_alert) = map
                .entry(key.clone())
                .or_insert((VecDeque::new(), i64::MIN));
            while q.front().is_some_and(|f| *f <= t - window) {
                q.pop_front();
            }
            q.push_back(t);
            while q.len() > threshold {
                q.pop_front();
            }
            if q.len() >= threshold && *last_alert <= t - window {
                *last_alert = t;
                let secs = window / 1_000_000;
                let m = format!("{threshold} or more 401/403 responses for {key} within {secs}s");
                self.alert(&rules::AUTH_FAILURE_BURST, m);
            }
        }
    }

    pub(super) fn source_ip(&mut self) {
        if self.a.settings.allowed_source_ranges.is_empty() || !self.on(&rules::SOURCE_IP) {
            return;
        }
        let e = self.e;
        for ip in &e.source_ips {
            let Ok(addr) = ip.parse::<IpAddr>() else {
                continue;
            };
            if self
                .a
                .settings
                .allowed_source_ranges
                .iter()
                .any(|c| c.contains(addr))
            {
                continue;
            }
            let key = (e.subject().to_string(), ip.to_string());
            let cap = self.a.settings.max_tracked_keys;
            let seen = &mut self.a.state.outside;
            if seen.contains(&key) {
                return;
            }
            if seen.len() < cap {
                seen.insert(key);
            } else {
                self.a.summary.state_evictions += 1;
            }
            let m = format!(
                "{} sent {} {} from {ip}, outside audit.allowed_source_ranges",
                e.subject(),
                e.verb,
                if e.object_ref.is_some() {
                    self.target()
                } else {
                    e.request_uri.to_string()
                }
            );
            self.alert(&rules::SOURCE_IP, m);
            return;
        }
    }

    pub(super) fn user_agent(&mut self) {
        let e = self.e;
        let user = e.subject();
        if !user.starts_with("system:serviceaccount:")
            || e.user_agent.is_empty()
            || !self.on(&rules::SA_USER_AGENT)
        {
            return;
        }
        let key: &str = match self.a.settings.user_agent_match {
            UserAgentMatch::Full => &e.user_agent,
            UserAgentMatch::Product => e.user_agent.split(['/', ' ']).next().unwrap_or(""),
        };
        let cap = self.a.settings.max_tracked_keys;
        let map = &mut self.a.state.agents;
        let seen = match map.get_mut(user) {
            Some(v) => v,
            None => {
                if map.len() >= cap {
                    self.a.summary.state_evictions += 1;
                    return;
                }
                map.insert(user.to_string(), vec![key.to_string()]);
                return;
            }
        };
        if seen.iter().any(|k| k == key) {
            return;
        }
        let before = seen.join(", ");
        if seen.len() < 8 {
            seen.push(key.to_string());
        }
        let m = format!(
            "{user} was used by a new client `{}` (seen before: {before})",
            e.user_agent
        );
        self.alert(&rules::SA_USER_AGENT, m);
    }
}
