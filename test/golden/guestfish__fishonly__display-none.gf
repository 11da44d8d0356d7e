display
