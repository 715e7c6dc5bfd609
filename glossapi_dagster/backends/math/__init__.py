"""Phase 2: formulas decoded to LaTeX (the text layer, or CodeFormulaV2) and put in the markdown."""
