"""Running a bot: the commands an admin uses around it (init, invite, doctor, health, backup,
feed lists), each imported only when it runs."""
