"""GB 18218-2018 major-hazard identification; the public surface is yingji.risks.major_hazard."""
