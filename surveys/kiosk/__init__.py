"""Hall pads (评价平板): a tablet at a service window, enrolled by an admin with a one-time code, that shows
the window's questionnaire to one citizen after another (pages under /kiosk/)."""
