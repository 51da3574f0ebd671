"""The HTTP application, composed at the top of the house: ``factory.create_app`` mounts every
door's router (listed in ``relaybird.wiring``) behind ``doors.Doors``, the middleware every
request passes first."""
