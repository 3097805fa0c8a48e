"""Words for the demo dataset: ticket titles by issue type, review comments by rating, contact names."""

from __future__ import annotations

ISSUE_TITLES: dict[str, tuple[str, ...]] = {
    "Hardware": ("Laptop will not power on", "Docking station not detecting monitors", "Printer jams on tray 2",
                 "New starter laptop build", "Replace failing SSD"),
    "Software": ("Outlook keeps asking for password", "Teams crashes on start-up", "Install accounting package",
                 "Excel add-in missing after update", "Adobe licence activation"),
    "Network": ("VPN drops every few minutes", "Wi-Fi slow in meeting room", "Firewall rule for supplier portal",
                "Site-to-site tunnel down", "Switch port flapping"),
    "Account Management": ("Password reset", "New user account", "Leaver: disable account and mailbox",
                           "Add user to shared mailbox", "MFA device replacement"),
    "Security": ("Phishing e-mail reported", "Suspicious sign-in alert", "Endpoint protection alert",
                 "Review conditional access policy"),
    "Backup": ("Backup job failed overnight", "Restore deleted folder", "Backup capacity warning"),
}
ISSUE_TYPE_SHARES: dict[str, float] = {"Hardware": 0.18, "Software": 0.27, "Network": 0.14,
                                       "Account Management": 0.24, "Security": 0.09, "Backup": 0.08}
PRIORITY_SHARES: dict[str, float] = {"Critical": 0.03, "High": 0.17, "Medium": 0.55, "Low": 0.25}
OPEN_STATUSES: tuple[str, ...] = ("New", "In Progress", "Waiting Customer", "Waiting Vendor")

COMMENTS: dict[int, tuple[str, ...]] = {
    5: ("Quick fix, thanks!", "Great service as always.", "Sorted within minutes, very happy.",
        "Friendly and knowledgeable.", "Thanks for explaining what went wrong.", "Brilliant, back up and running.",
        "Fast response and clear communication.", "Really appreciate the follow-up call."),
    3: ("Fixed in the end but took a while.", "OK, had to chase for an update.", "Resolved, but the first fix "
        "did not hold.", "Fine, though I had to explain the problem twice.", "Took longer than expected."),
    1: ("Nothing changed compared to when this ticket was first raised.", "Still not working.",
        "Waited three days for a response.", "Closed without asking me if it was fixed.",
        "Same problem again, third time this month.", "Nobody called back as promised."),
}
EMPTY_COMMENT_SHARE: dict[int, float] = {5: 0.45, 3: 0.2, 1: 0.1}

FIRST_NAMES: tuple[str, ...] = ("alex", "jordan", "sam", "taylor", "morgan", "casey", "jamie", "riley", "chris",
                                "pat", "drew", "robin")
LAST_NAMES: tuple[str, ...] = ("smith", "jones", "brown", "wilson", "taylor", "davies", "evans", "thomas", "roberts",
                               "walker")
NPS_COMMENTS: dict[str, tuple[str, ...]] = {
    "promoter": ("Reliable partner, would recommend.", "Proactive and responsive team.", ""),
    "passive": ("Good overall, response times vary.", "Solid, some room to improve.", ""),
    "detractor": ("Too many repeat issues.", "Communication needs to improve.", "Slow to respond lately."),
}
MSP_DOMAIN = "northbeam-it.example"
