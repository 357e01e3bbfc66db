"""An operator's tools for adding and fixing an outlet: scaffolding its registry entry, storing
and checking its fixture pages, fetching one page to store."""
