"""One module of pages per space: auth (sign in and out, forgotten password), account, home, me (a
user's own settings), admin (a customer's configuration), operator."""
