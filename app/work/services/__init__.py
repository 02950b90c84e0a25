"""The work domain's named actions. Each is one unit of work that joins the caller's when there
is one (an approval executing `reassign`, `delete` or a leave `approve` runs them inside its
own) and takes the acting user explicitly where the caller is not the request's user (`actor=`).
The rules live on the models and their lifecycles and run at every flush."""
