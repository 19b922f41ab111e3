"""Tools for hardware testers (issue 5): build the board's flash image, flash it with esptool,
provision and self-test a board over its UART, and do all of it for a tray of boards.
Walk-through: docs/hardware-testers.md."""
