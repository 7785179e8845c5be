import EmberCLI
