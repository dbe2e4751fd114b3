"""The composition root's commands: `trygg serve`, `trygg worker`, `trygg receive`,
`trygg token` and `trygg dc09_send` wire the whole system together, so they live at the
top of the house (the `trygg` app, installed last), where importing any app is allowed."""
