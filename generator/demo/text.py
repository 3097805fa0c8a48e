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
# Autotask picklist values of the demo's labels (the CSV exports' picklists.csv uses the same ones)
ISSUE_TYPE_IDS: dict[str, int] = {label: 10 + i for i, label in enumerate(ISSUE_TYPE_SHARES)}
PRIORITY_IDS: dict[str, int] = {label: i + 1 for i, label in enumerate(PRIORITY_SHARES)}
SUB_ISSUE_TYPES: dict[str, tuple[str, ...]] = {
    "Hardware": ("Laptop / Desktop", "Printer", "Peripheral"),
    "Software": ("Microsoft 365", "Line of Business App", "Installation"),
    "Network": ("VPN", "Wi-Fi", "Firewall", "Internet Connectivity"),
    "Account Management": ("Password Reset", "New User", "Leaver", "Permissions"),
    "Security": ("Phishing", "Alert Investigation", "Policy"),
    "Backup": ("Failed Job", "Restore"),
}
#: (issue type, sub-issue type) → picklist value: 100 × (issue type position + 1) + sub-issue position
SUB_ISSUE_TYPE_IDS: dict[tuple[str, str], int] = {
    (issue, sub): 100 * (i + 1) + j
    for i, (issue, subs) in enumerate(SUB_ISSUE_TYPES.items()) for j, sub in enumerate(subs)}
#: ticket source (channel) → share of tickets; picklist values in SOURCE_IDS
SOURCE_SHARES: dict[str, float] = {"Email": 0.42, "Client Portal": 0.27, "Phone": 0.23, "Monitoring Alert": 0.08}
SOURCE_IDS: dict[str, int] = {"Email": 2, "Client Portal": 4, "Phone": 1, "Monitoring Alert": 8}
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
