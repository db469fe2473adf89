"""办件评价 (一次一评): a finished service, registered by the unit's business system (API key) or by a
staff member, gets a one-time rating link and QR code; its rating is a non-fixed response of channel
'service', tied to the service (事项, 办件编号, officer) and stored once whatever the race."""
