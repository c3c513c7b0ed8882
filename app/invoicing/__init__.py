"""Invoices and credit notes: numbered gaplessly per seller and fiscal year,
issued inside the transaction that pays (or refunds) the order."""
